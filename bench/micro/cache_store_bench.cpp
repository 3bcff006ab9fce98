// Cache store lookup and insert with 10^3 and 10^6 entries stored (cache/cache_store.h).
// Keys look like etagd's ("host/path?query"); bodies are a small 128 bytes (an entry holds its
// body in its own allocation), so 10^6 entries fit in ~0.5 GiB and the figures are the store's
// (hash chains, shard mutex, LRU links) more than memcpy of bodies.
//   Lookup: a hit on a random stored key (random order defeats CPU caches at 10^6, as real
//           traffic over a large key set does).
//   Insert: builds an entry (CacheEntry::make: one allocation) and stores it in place of the
//           stored entry at the same key, so the store stays at N entries; BM_EntryMake is the
//           building alone, the difference is the store's share.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cache/cache_entry.h"
#include "cache/cache_store.h"
#include "http/header_list.h"

namespace {

using etagd::cache::CacheEntry;
using etagd::cache::CacheStore;
using etagd::cache::CacheStoreOptions;
using etagd::cache::EntryRef;
using etagd::cache::ResponseToStore;

constexpr size_t kBodyBytes = 128;

ResponseToStore response() {
  ResponseToStore r;
  r.status = 200;
  r.etag = "\"Pwe0hKFCLBPODJMDmK9m1Q\"";
  r.header_block = "Content-Type: application/json\r\nETag: " + r.etag +
                   "\r\nCache-Control: max-age=60, must-revalidate\r\n";
  r.freshness.request_time = r.freshness.response_time = r.freshness.date_value =
      etagd::base::WallSeconds(std::chrono::seconds(1000));
  r.freshness.lifetime = std::chrono::seconds(60);
  r.body.assign(kBodyBytes, 'x');
  return r;
}

std::string key(size_t i) {
  return "api.example.com/v1/items/" + std::to_string(i) + "?page=" + std::to_string(i % 10);
}

// One store per size, built once and shared by the benchmarks of that size.
struct Fixture {
  std::unique_ptr<CacheStore> store;
  std::vector<std::string> keys;
  std::vector<uint32_t> order;  // a random permutation of key indexes
};

Fixture& fixture(size_t n) {
  static std::vector<std::pair<size_t, std::unique_ptr<Fixture>>> built;
  for (auto& [size, f] : built) {
    if (size == n) return *f;
  }
  auto f = std::make_unique<Fixture>();
  CacheStoreOptions o;
  o.max_memory = 64ull << 30;  // nothing is evicted
  o.shards = 16;
  f->store = std::make_unique<CacheStore>(o);
  f->keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    f->keys.push_back(key(i));
    f->store->insert(CacheEntry::make(f->keys.back(), response()));
  }
  f->order.resize(n);
  for (size_t i = 0; i < n; ++i) f->order[i] = static_cast<uint32_t>(i);
  std::shuffle(f->order.begin(), f->order.end(), std::mt19937(42));
  built.emplace_back(n, std::move(f));
  return *built.back().second;
}

void BM_CacheLookupHit(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  etagd::http::HeaderList request;  // no Vary, no key_headers: the entry matches any request
  size_t i = 0;
  size_t misses = 0;
  for (auto _ : state) {
    const std::string& k = f.keys[f.order[i]];
    etagd::cache::LookupResult r = f.store->lookup(k, request);
    misses += r.entry == nullptr;
    benchmark::DoNotOptimize(r);
    if (++i == f.order.size()) i = 0;
  }
  if (misses != 0) state.SkipWithError("a stored key missed");
  state.counters["entries"] = static_cast<double>(f.store->stats().entries);
}

void BM_CacheLookupMiss(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  etagd::http::HeaderList request;
  std::vector<std::string> absent;
  for (size_t i = 0; i < 4096; ++i) absent.push_back(key(f.keys.size() + i));
  size_t i = 0;
  for (auto _ : state) {
    etagd::cache::LookupResult r = f.store->lookup(absent[i++ & 4095], request);
    benchmark::DoNotOptimize(r);
  }
}

void BM_CacheInsertReplace(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  size_t refused = 0;
  for (auto _ : state) {
    const std::string& k = f.keys[f.order[i]];
    refused += !f.store->insert(CacheEntry::make(k, response()));
    if (++i == f.order.size()) i = 0;
  }
  if (refused != 0) state.SkipWithError("insert refused");
  state.counters["entries"] = static_cast<double>(f.store->stats().entries);
}

void BM_EntryMake(benchmark::State& state) {
  const std::string k = key(123456);
  for (auto _ : state) {
    EntryRef e = CacheEntry::make(k, response());
    benchmark::DoNotOptimize(e);
  }
}

BENCHMARK(BM_CacheLookupHit)->Arg(1'000)->Arg(1'000'000);
BENCHMARK(BM_CacheLookupMiss)->Arg(1'000)->Arg(1'000'000);
BENCHMARK(BM_CacheInsertReplace)->Arg(1'000)->Arg(1'000'000);
BENCHMARK(BM_EntryMake);

}  // namespace
