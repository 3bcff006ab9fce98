#include "cache/cache_store.h"

#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cache/cache_key.h"
#include "entry_builder.h"

using etagd::cache::CacheEntry;
using etagd::cache::CacheStats;
using etagd::cache::CacheStore;
using etagd::cache::CacheStoreOptions;
using etagd::cache::EntryRef;
using etagd::cache::LookupResult;
using etagd::cache::ResponseToStore;
using etagd::cache::VaryField;
using etagd::cache::testing::entry;
using etagd::cache::testing::response;
using etagd::http::HeaderList;

namespace {

const HeaderList kNoHeaders;

CacheStoreOptions one_shard(uint64_t max_memory) {
  CacheStoreOptions o;
  o.max_memory = max_memory;
  o.shards = 1;
  return o;
}

// A store with one shard that holds exactly `n` entries like entry(key, body_size).
CacheStoreOptions room_for(size_t n, size_t body_size = 1000) {
  return one_shard(entry("h/x", body_size)->charge() * n);
}

EntryRef get(CacheStore& store, std::string_view key, const HeaderList& request = kNoHeaders) {
  return store.lookup(key, request).entry;
}

HeaderList with(const char* name, const char* value) {
  HeaderList h;
  h.add(name, value);
  return h;
}

}  // namespace

TEST_CASE("a stored entry is found by its URL key, and another key misses") {
  CacheStore store(CacheStoreOptions{});
  EntryRef e = entry("h/a");
  CHECK(store.insert(e));
  CHECK(get(store, "h/a") == e);
  CHECK(get(store, "h/b") == nullptr);
  CHECK(get(store, "H/a") == nullptr);  // keys are made canonical by make_url_key, not here
  CacheStats s = store.stats();
  CHECK(s.entries == 1);
  CHECK(s.bytes == e->charge());
  CHECK(s.inserts == 1);
}

TEST_CASE("the least recently used entry is evicted first, and a lookup makes an entry recent") {
  CacheStore store(room_for(3));
  EntryRef a = entry("h/a", 1000), b = entry("h/b", 1000), c = entry("h/c", 1000);
  REQUIRE(store.insert(a));
  REQUIRE(store.insert(b));
  REQUIRE(store.insert(c));
  CHECK(get(store, "h/a") == a);  // a is now the most recent; b is the oldest
  REQUIRE(store.insert(entry("h/d", 1000)));
  CHECK(get(store, "h/b") == nullptr);
  CHECK(get(store, "h/a") == a);
  CHECK(get(store, "h/c") == c);
  CHECK(get(store, "h/d") != nullptr);
  CHECK(store.stats().evictions == 1);
}

TEST_CASE("inserting a big entry evicts as many old ones as it needs") {
  CacheStore store(room_for(4));
  for (const char* k : {"h/1", "h/2", "h/3", "h/4"}) REQUIRE(store.insert(entry(k, 1000)));
  EntryRef big = entry("h/big", 2500);
  REQUIRE(store.insert(big));
  CHECK(store.stats().evictions == 3);
  CHECK(get(store, "h/4") != nullptr);
  CHECK(get(store, "h/big") == big);
  CHECK(store.stats().bytes <= store.max_memory());
}

TEST_CASE("an entry larger than the shard budget is rejected and nothing is evicted") {
  CacheStoreOptions o;
  o.max_memory = 64 * 1024;
  o.shards = 4;  // 16 KiB per shard
  CacheStore store(o);
  CHECK(store.shard_budget() == 16 * 1024);
  REQUIRE(store.insert(entry("h/small", 100)));
  CHECK(!store.insert(entry("h/huge", 17 * 1024)));
  CHECK(get(store, "h/huge") == nullptr);
  CHECK(get(store, "h/small") != nullptr);
  CHECK(store.stats().entries == 1);
  CHECK(store.stats().evictions == 0);
}

namespace {

// Charges and count of the entries alive now that were not alive at `before`. When the store
// is their only owner, an entry is alive exactly when it is still stored.
std::pair<uint64_t, uint64_t> live_since(const CacheEntry::Census& before) {
  CacheEntry::Census now = CacheEntry::census();
  return {now.bytes - before.bytes, now.entries - before.entries};
}

}  // namespace

TEST_CASE("accounted bytes never exceed max_memory under heavy random insert and evict") {
  CacheStoreOptions o;
  o.max_memory = 2 * 1024 * 1024;
  o.shards = 8;
  CacheStore store(o);
  std::mt19937 rng(12345);
  const CacheEntry::Census before = CacheEntry::census();
  for (int i = 0; i < 20000; ++i) {
    std::string key = "host" + std::to_string(rng() % 7) + "/item/" + std::to_string(rng() % 3000);
    size_t body = rng() % 8 == 0 ? 20000 + rng() % 300000 : rng() % 3000;
    std::vector<VaryField> variant;
    if (rng() % 4 == 0) variant.push_back({"authorization", std::string(rng() % 40, 't')});
    EntryRef e = entry(key, body, std::move(variant));
    bool fits = e->charge() <= store.shard_budget();
    REQUIRE(store.insert(e) == fits);
    if (rng() % 50 == 0) store.invalidate_url(key);
    if (rng() % 500 == 0) store.purge_prefix("/item/1");
    REQUIRE(store.stats().bytes <= o.max_memory);
  }
  CacheStats s = store.stats();
  CHECK(s.evictions > 1000);
  auto [bytes, entries] = live_since(before);
  CHECK(s.bytes == bytes);
  CHECK(s.entries == entries);
  store.clear();
  CHECK(store.stats().bytes == 0);
  CHECK(live_since(before).second == 0);
}

TEST_CASE("accounted bytes equal the sum of the charges of the live entries") {
  CacheStore store(room_for(50, 500));
  std::mt19937 rng(7);
  const CacheEntry::Census before = CacheEntry::census();
  for (int i = 1; i <= 3000; ++i) {
    REQUIRE(store.insert(entry("h/" + std::to_string(i), 100 + rng() % 1500)));
    if (i % 100 == 0) store.invalidate_url("h/" + std::to_string(i - rng() % 50));
    if (i % 700 == 0) store.invalidate_prefix("/" + std::to_string(rng() % 10));
  }
  auto [bytes, entries] = live_since(before);
  CacheStats s = store.stats();
  CHECK(s.entries == entries);
  CHECK(s.bytes == bytes);
  CHECK(s.bytes <= store.max_memory());
  CHECK(s.bytes > store.max_memory() / 2);  // the budget is actually used
}

TEST_CASE("variants by key_headers: each tenant gets only its own response") {
  CacheStore store(CacheStoreOptions{});
  EntryRef a = entry("h/me", 10, {{"authorization", "Bearer A"}});
  EntryRef b = entry("h/me", 20, {{"authorization", "Bearer B"}});
  REQUIRE(store.insert(a));
  REQUIRE(store.insert(b));
  CHECK(get(store, "h/me", with("Authorization", "Bearer A")) == a);
  CHECK(get(store, "h/me", with("Authorization", "Bearer B")) == b);
  CHECK(get(store, "h/me", with("Authorization", "Bearer C")) == nullptr);
  CHECK(get(store, "h/me") == nullptr);  // no credentials is a different variant too
  CHECK(store.stats().entries == 2);
}

TEST_CASE("variants by Vary: the request's header values select the stored response") {
  CacheStore store(CacheStoreOptions{});
  EntryRef german = entry("h/doc", 10, {{"accept-language", "de"}});
  EntryRef plain = entry("h/doc", 30, {{"accept-language", ""}});
  REQUIRE(store.insert(german));
  REQUIRE(store.insert(plain));
  CHECK(get(store, "h/doc", with("Accept-Language", "de")) == german);
  CHECK(get(store, "h/doc") == plain);
  CHECK(get(store, "h/doc", with("Accept-Language", "fr")) == nullptr);
}

TEST_CASE("inserting the same variant again replaces it") {
  CacheStore store(CacheStoreOptions{});
  EntryRef v1 = entry("h/doc", 10, {{"accept", "json"}, {"accept-language", "de"}});
  EntryRef v2 = entry("h/doc", 10, {{"accept-language", "de"}, {"accept", "json"}});
  EntryRef other = entry("h/doc", 10, {{"accept", "xml"}, {"accept-language", "de"}});
  REQUIRE(store.insert(v1));
  REQUIRE(store.insert(other));
  REQUIRE(store.insert(v2));
  HeaderList h;
  h.add("Accept", "json");
  h.add("Accept-Language", "de");
  CHECK(get(store, "h/doc", h) == v2);
  CHECK(store.stats().entries == 2);
  CHECK(store.stats().bytes == v2->charge() + other->charge());
  CHECK(store.stats().evictions == 0);
}

TEST_CASE("when several variants match, the newest one is served") {
  CacheStore store(CacheStoreOptions{});
  EntryRef any = entry("h/doc", 10);
  EntryRef by_accept = entry("h/doc", 10, {{"accept", "json"}});
  REQUIRE(store.insert(any));
  REQUIRE(store.insert(by_accept));
  CHECK(get(store, "h/doc", with("Accept", "json")) == by_accept);
  CHECK(get(store, "h/doc", with("Accept", "xml")) == any);
}

TEST_CASE("distinct keys in one shard are all kept apart") {
  CacheStore store(one_shard(64 * 1024 * 1024));
  std::vector<EntryRef> entries;
  for (int i = 0; i < 2000; ++i) {
    entries.push_back(entry("h/" + std::to_string(i), 10));
    REQUIRE(store.insert(entries.back()));
  }
  for (int i = 0; i < 2000; ++i) CHECK(get(store, "h/" + std::to_string(i)) == entries[i]);
  CHECK(get(store, "h/2000") == nullptr);
  CHECK(get(store, "h/") == nullptr);
}

TEST_CASE("an entry is stored once and inserting it again is refused") {
  CacheStore store(CacheStoreOptions{});
  CacheStore other(CacheStoreOptions{});
  EntryRef e = entry("h/once");
  CHECK(store.insert(e));
  CHECK(!store.insert(e));
  CHECK(!other.insert(e));
  CHECK(store.stats().entries == 1);
  store.invalidate_url("h/once");
  CHECK(other.insert(e));  // free again once removed
  CHECK(!store.insert(nullptr));
}

TEST_CASE("invalidate_url removes every variant at the URL and nothing else") {
  CacheStore store(CacheStoreOptions{});
  REQUIRE(store.insert(entry("h/x", 10, {{"accept", "a"}})));
  REQUIRE(store.insert(entry("h/x", 10, {{"accept", "b"}})));
  REQUIRE(store.insert(entry("h/x?page=2", 10)));
  REQUIRE(store.insert(entry("other/x", 10)));
  CHECK(store.invalidate_url("h/x") == 2);
  CHECK(get(store, "h/x", with("Accept", "a")) == nullptr);
  CHECK(get(store, "h/x", with("Accept", "b")) == nullptr);
  CHECK(get(store, "h/x?page=2") != nullptr);
  CHECK(get(store, "other/x") != nullptr);
  CHECK(store.invalidate_url("h/x") == 0);
  CacheStats s = store.stats();
  CHECK(s.entries == 2);
  CHECK(s.purged == 2);
  CHECK(s.invalidations == 2);
}

TEST_CASE("invalidate_prefix hides older entries under the path prefix on every host") {
  CacheStore store(CacheStoreOptions{});
  REQUIRE(store.insert(entry("a.example/api/uploads/1")));
  REQUIRE(store.insert(entry("b.example/api/uploads/2?x=1")));
  REQUIRE(store.insert(entry("a.example/api/items/1")));
  EntryRef built_before = entry("a.example/api/uploads/3");
  store.invalidate_prefix("/api/uploads/");
  CHECK(get(store, "a.example/api/uploads/1") == nullptr);
  CHECK(get(store, "b.example/api/uploads/2?x=1") == nullptr);
  CHECK(get(store, "a.example/api/items/1") != nullptr);
  CHECK(!store.insert(built_before));  // fetched before the invalidation: refused
  CHECK(store.stats().purged == 2);    // dropped when looked up
  CHECK(store.stats().entries == 1);
}

TEST_CASE("entries built after a prefix invalidation are served") {
  CacheStore store(CacheStoreOptions{});
  REQUIRE(store.insert(entry("h/api/x")));
  store.invalidate_prefix("/api/");
  EntryRef newer = entry("h/api/x");
  REQUIRE(store.insert(newer));
  CHECK(get(store, "h/api/x") == newer);
  store.invalidate_prefix("/api/");
  CHECK(get(store, "h/api/x") == nullptr);
}

TEST_CASE("an entry whose fetch began before a prefix invalidation is treated as invalidated") {
  CacheStore store(CacheStoreOptions{});
  uint64_t sent_at = CacheStore::current_seq();
  store.invalidate_prefix("/api/");
  ResponseToStore r = response();
  r.seq = sent_at;
  CHECK(!store.insert(CacheEntry::make("h/api/y", std::move(r))));
}

TEST_CASE("above max_prefixes_per_shard, every older entry of the shard is invalidated") {
  CacheStoreOptions o;
  o.shards = 2;
  o.max_prefixes_per_shard = 2;
  CacheStore store(o);
  REQUIRE(store.insert(entry("h/keep/1")));
  REQUIRE(store.insert(entry("h/keep/2")));
  store.invalidate_prefix("/a/");
  store.invalidate_prefix("/b/");
  CHECK(get(store, "h/keep/1") != nullptr);  // two prefixes fit: unrelated paths survive
  store.invalidate_prefix("/c/");            // the third does not: everything older goes
  CHECK(get(store, "h/keep/1") == nullptr);
  CHECK(get(store, "h/keep/2") == nullptr);
  EntryRef after = entry("h/keep/1");
  REQUIRE(store.insert(after));
  CHECK(get(store, "h/keep/1") == after);
  // The record was cleared, so new prefixes are recorded again, one by one.
  store.invalidate_prefix("/other/");
  CHECK(get(store, "h/keep/1") == after);
  store.invalidate_prefix("/keep/");
  CHECK(get(store, "h/keep/1") == nullptr);
}

TEST_CASE("mark_all_stale forces revalidation of every entry stored before it") {
  CacheStore store(CacheStoreOptions{});
  EntryRef old = entry("h/old");
  REQUIRE(store.insert(old));
  LookupResult before = store.lookup("h/old", kNoHeaders);
  CHECK(!before.forced_stale);
  store.mark_all_stale();
  LookupResult after = store.lookup("h/old", kNoHeaders);
  CHECK(after.entry == old);  // still there: it may be revalidated instead of refetched
  CHECK(after.forced_stale);
  EntryRef fresh = entry("h/new");
  REQUIRE(store.insert(fresh));
  CHECK(!store.lookup("h/new", kNoHeaders).forced_stale);
}

TEST_CASE("purge_url and purge_prefix remove entries now and count them") {
  CacheStore store(CacheStoreOptions{});
  REQUIRE(store.insert(entry("a/img/1.png")));
  REQUIRE(store.insert(entry("b/img/2.png")));
  REQUIRE(store.insert(entry("a/img/3.png", 10, {{"accept", "x"}})));
  REQUIRE(store.insert(entry("a/imgx")));
  REQUIRE(store.insert(entry("a/doc/1")));
  CHECK(store.purge_url("a/doc/1") == 1);
  CHECK(store.purge_url("a/doc/1") == 0);
  CHECK(store.purge_prefix("/img/") == 3);
  CHECK(store.purge_prefix("/img/") == 0);
  CHECK(get(store, "a/imgx") != nullptr);
  CacheStats s = store.stats();
  CHECK(s.entries == 1);
  CHECK(s.purged == 4);
  CHECK(s.invalidations == 4);
}

TEST_CASE("an evicted entry stays usable by whoever still holds it") {
  CacheStore store(room_for(2, 4000));
  const CacheEntry::Census before = CacheEntry::census();
  EntryRef held = entry("h/sending", 4000);
  REQUIRE(store.insert(held));
  EntryRef sending = get(store, "h/sending");
  held.reset();
  REQUIRE(store.insert(entry("h/1", 4000)));
  REQUIRE(store.insert(entry("h/2", 4000)));
  CHECK(get(store, "h/sending") == nullptr);
  CHECK(sending.use_count() == 1);  // the store let go; the send did not
  CHECK(sending->body().size() == 4000);
  CHECK(sending->header_block().find("ETag") != std::string_view::npos);
  CHECK(sending->url_key() == "h/sending");
  CHECK(CacheEntry::census().entries == before.entries + 3);  // h/1, h/2 and this one
  sending.reset();
  CHECK(CacheEntry::census().entries == before.entries + 2);
}

TEST_CASE("a refresh replaces the stored entry only while it is still stored") {
  CacheStore store(CacheStoreOptions{});
  EntryRef old = entry("h/r");
  REQUIRE(store.insert(old));
  ResponseToStore r = response();
  r.header_block = "ETag: \"new\"\r\n";
  EntryRef fresh = CacheEntry::refreshed(*old, std::move(r));
  store.replace(old, fresh);
  CHECK(get(store, "h/r") == fresh);
  CHECK(store.stats().entries == 1);
  CHECK(store.stats().bytes == fresh->charge());

  EntryRef again = CacheEntry::refreshed(*fresh, response());
  store.invalidate_url("h/r");
  store.replace(fresh, again);  // invalidated meanwhile: the refresh must not resurrect it
  CHECK(get(store, "h/r") == nullptr);
  CHECK(store.stats().entries == 0);
}

TEST_CASE("a store releases its entries when cleared or destroyed") {
  const CacheEntry::Census before = CacheEntry::census();
  {
    CacheStore store(CacheStoreOptions{});
    REQUIRE(store.insert(entry("h/gone")));
    CHECK(CacheEntry::census().entries == before.entries + 1);
  }
  CHECK(CacheEntry::census().entries == before.entries);
  CHECK(CacheEntry::census().bytes == before.bytes);
  CacheStore store(CacheStoreOptions{});
  EntryRef e = entry("h/gone");
  REQUIRE(store.insert(e));
  e.reset();
  CHECK(CacheEntry::census().entries == before.entries + 1);
  store.clear();
  CHECK(CacheEntry::census().entries == before.entries);
  CHECK(store.stats().entries == 0);
  CHECK(store.stats().bytes == 0);
}

TEST_CASE("a shard count that is not a power of two is rounded up") {
  CacheStoreOptions o;
  o.max_memory = 1200;
  o.shards = 3;
  CacheStore store(o);
  CHECK(store.shard_budget() == 300);
  CHECK(store.max_memory() == 1200);
}

TEST_CASE("concurrent lookups, inserts and invalidations keep the accounting exact") {
  CacheStoreOptions o;
  o.max_memory = 1024 * 1024;
  o.shards = 4;
  o.max_prefixes_per_shard = 8;
  CacheStore store(o);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      std::mt19937 rng(static_cast<uint32_t>(t));
      HeaderList none;
      for (int i = 0; i < 4000; ++i) {
        std::string key = "h/p" + std::to_string(rng() % 4) + "/" + std::to_string(rng() % 500);
        switch (rng() % 10) {
          case 0:
            store.invalidate_url(key);
            break;
          case 1:
            store.invalidate_prefix("/p" + std::to_string(rng() % 4) + "/");
            break;
          case 2:
            store.mark_all_stale();
            break;
          case 3:
          case 4:
          case 5:
            store.insert(entry(key, rng() % 4000));
            break;
          default: {
            EntryRef e = store.lookup(key, none).entry;
            if (e) CHECK(e->url_key() == key);
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CacheStats s = store.stats();
  CHECK(s.bytes <= o.max_memory);
  store.clear();
  CHECK(store.stats().bytes == 0);
  CHECK(store.stats().entries == 0);
}

TEST_CASE("a response fetched before a URL invalidation is not stored after it") {
  CacheStore store(CacheStoreOptions{1 << 20, 4, 4096});
  uint64_t fetch_started = CacheStore::current_seq();
  store.invalidate_url("example.com/docs/1");  // a PUT to the URL succeeded meanwhile
  ResponseToStore old_state = response(10);
  old_state.seq = fetch_started;
  CHECK_FALSE(store.insert(CacheEntry::make("example.com/docs/1", std::move(old_state))));
  // Another URL is not affected, and a fetch that starts after the write is stored.
  ResponseToStore other = response(10);
  other.seq = fetch_started;
  CHECK(store.insert(CacheEntry::make("example.com/docs/2", std::move(other))));
  CHECK(store.insert(CacheEntry::make("example.com/docs/1", response(10))));
}

TEST_CASE("purge_target removes a path and query on every host, and nothing else") {
  CacheStore store(CacheStoreOptions{1 << 20, 4, 4096});
  REQUIRE(store.insert(entry("127.0.0.1:8080/api/items/3")));
  REQUIRE(store.insert(entry("localhost:8080/api/items/3")));
  REQUIRE(store.insert(entry("api.example.com/api/items/3", 10, {{"accept", "json"}})));
  REQUIRE(store.insert(entry("api.example.com/api/items/3", 10, {{"accept", "xml"}})));
  REQUIRE(store.insert(entry("api.example.com/api/items/30")));
  REQUIRE(store.insert(entry("api.example.com/api/items/3?page=2")));
  REQUIRE(store.insert(entry("api.example.com/api/items/3/parts")));

  CHECK(store.purge_target("/api/items/3") == 4);
  CHECK(get(store, "127.0.0.1:8080/api/items/3") == nullptr);
  CHECK(get(store, "localhost:8080/api/items/3") == nullptr);
  CHECK(get(store, "api.example.com/api/items/3", with("accept", "json")) == nullptr);
  CHECK(get(store, "api.example.com/api/items/30") != nullptr);
  CHECK(get(store, "api.example.com/api/items/3?page=2") != nullptr);
  CHECK(get(store, "api.example.com/api/items/3/parts") != nullptr);
  CHECK(store.purge_target("/api/items/3") == 0);
  CHECK(store.purge_target("/api/items/3?page=2") == 1);
  CacheStats s = store.stats();
  CHECK(s.entries == 2);
  CHECK(s.purged == 5);
}

TEST_CASE("a response fetched before a purge of its target on every host is not stored after it") {
  CacheStore store(CacheStoreOptions{1 << 20, 4, 4096});
  uint64_t fetch_started = CacheStore::current_seq();
  store.purge_target("/docs/1");
  ResponseToStore old_state = response(10);
  old_state.seq = fetch_started;
  CHECK_FALSE(store.insert(CacheEntry::make("b.example.com/docs/1", std::move(old_state))));
  ResponseToStore other = response(10);
  other.seq = fetch_started;
  CHECK(store.insert(CacheEntry::make("b.example.com/docs/2", std::move(other))));
  CHECK(store.insert(CacheEntry::make("b.example.com/docs/1", response(10))));
}

TEST_CASE("the target index follows inserts, replacements, evictions and clears") {
  // Room for four entries in one shard: evictions and replacements must unlink from both
  // indexes, or a later purge_target would touch freed entries (ASan sees that).
  CacheStore store(room_for(4, 100));
  for (int round = 0; round < 50; ++round) {
    std::string host = "h" + std::to_string(round % 7);
    REQUIRE(store.insert(entry(host + "/t/" + std::to_string(round % 5), 100)));
    REQUIRE(store.insert(entry(host + "/t/" + std::to_string(round % 5), 100)));  // replaces
    if (round % 9 == 0) store.purge_target("/t/" + std::to_string(round % 5));
  }
  size_t left = 0;
  for (int t = 0; t < 5; ++t) left += store.purge_target("/t/" + std::to_string(t));
  CHECK(left <= 4);
  CHECK(store.stats().entries == 0);
  REQUIRE(store.insert(entry("h/t/1", 100)));
  store.clear();
  CHECK(store.purge_target("/t/1") == 0);
}
