#include "cache/entry_table.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "entry_builder.h"

using etagd::cache::CacheEntry;
using etagd::cache::EntryRef;
using etagd::cache::EntryTable;
using etagd::cache::testing::entry;

namespace {

const CacheEntry* find(const EntryTable& t, uint64_t hash, std::string_view key) {
  return t.find_at(hash, key, [](const CacheEntry*) { return true; });
}

}  // namespace

TEST_CASE("equal hashes never make two URL keys one: the full key is compared") {
  EntryRef a = entry("h/a");
  EntryRef b = entry("h/b");
  EntryTable t;
  t.insert(a.get(), 42);
  t.insert(b.get(), 42);
  CHECK(find(t, 42, "h/a") == a.get());
  CHECK(find(t, 42, "h/b") == b.get());
  CHECK(find(t, 42, "h/c") == nullptr);
  CHECK(find(t, 43, "h/a") == nullptr);  // another hash is another chain
  t.remove(a.get());
  CHECK(find(t, 42, "h/a") == nullptr);
  CHECK(find(t, 42, "h/b") == b.get());
  t.remove(b.get());
  CHECK(t.size() == 0);
}

TEST_CASE("variants at one URL are found newest first, also after the table grows and shrinks") {
  EntryTable t;
  std::vector<EntryRef> keep;
  EntryRef older = entry("h/v", 1, {{"accept", "a"}});
  EntryRef newer = entry("h/v", 1, {{"accept", "b"}});
  t.insert(older.get(), 7);
  t.insert(newer.get(), 7);
  auto first = [&] { return find(t, 7, "h/v"); };
  CHECK(first() == newer.get());
  for (int i = 0; i < 1000; ++i) {
    keep.push_back(entry("h/" + std::to_string(i)));
    t.insert(keep.back().get(), static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull);
  }
  CHECK(t.bucket_count() >= t.size());
  CHECK(first() == newer.get());
  for (const EntryRef& e : keep) t.remove(e.get());
  CHECK(t.size() == 2);
  CHECK(t.bucket_count() <= 16);
  CHECK(first() == newer.get());
  CHECK(t.find_at(7, "h/v", [&](const CacheEntry* e) { return e != newer.get(); }) == older.get());
}

TEST_CASE("every stored entry is found by its own key and hash") {
  EntryTable t;
  std::vector<EntryRef> entries;
  for (int i = 0; i < 300; ++i) {
    entries.push_back(entry("host/" + std::to_string(i)));
    t.insert(entries.back().get(), static_cast<uint64_t>(i % 17));  // many collisions
  }
  for (int i = 0; i < 300; ++i) {
    CHECK(find(t, static_cast<uint64_t>(i % 17), entries[i]->url_key()) == entries[i].get());
    CHECK(t.contains(entries[i].get()));
  }
  size_t seen = 0;
  t.for_each([&](const CacheEntry*) { ++seen; });
  CHECK(seen == 300);
  for (const EntryRef& e : entries) t.remove(e.get());
  CHECK(!t.contains(entries[0].get()));
}
