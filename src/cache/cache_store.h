// The process-wide response cache: shards chosen by URL-key hash, each with its own mutex,
// hash map, LRU list and byte budget (max_memory / shards). The sum of entry charges never
// exceeds max_memory. Entries are reference-counted (EntryRef): one evicted while a worker
// still sends it lives until that send completes.
//
// Invalidation never scans the cache on a request path: a URL invalidation removes that URL's
// variants from one shard; a purge of one path and query on every host walks one chain of
// each shard's target index (target_index.h); a prefix invalidation records (prefix, sequence number) in every
// shard's prefix record (prefix_generations.h), and a lookup treats an entry older than a
// matching prefix as absent. Prefixes are path-only: "/api/items" invalidates that path on
// every host (a rule's invalidate list names paths; an operator purging a path wants it gone
// everywhere, and over-invalidating is safe where under-invalidating is not).
// All methods are thread-safe; a call holds at most one shard mutex at a time, and only for
// hash-map and LRU work (entries are built, charged and released outside it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "cache/cache_entry.h"
#include "cache/prefix_generations.h"
#include "http/header_list.h"

namespace etagd::cache {

struct CacheStoreOptions {
  uint64_t max_memory = 256ull * 1024 * 1024;
  uint32_t shards = 16;  // power of two (another value is rounded up to one)
  // Above this many recorded prefixes in a shard, the shard's prefix trie is cleared and every
  // entry then in the shard is treated as invalidated (a bound on memory, never a stale hit).
  // Prefix records are not charged to max_memory: at most shards x max_prefixes_per_shard of
  // them, about 80 bytes plus the prefix each (16 x 4096 x ~100 B = ~6.5 MiB at worst).
  size_t max_prefixes_per_shard = 4096;
};

struct LookupResult {
  EntryRef entry;             // null on a miss
  bool forced_stale = false;  // stored before mark_all_stale(): must be revalidated before use
};

struct CacheStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;  // sum of charges
  uint64_t inserts = 0;
  uint64_t evictions = 0;      // entries dropped for space
  uint64_t invalidations = 0;  // invalidate_* and purge_* calls
  uint64_t purged = 0;         // entries removed by invalidate_url and purge_*, and entries
                               // dropped at lookup because an invalidate_prefix covered them
};

class CacheStore {
 public:
  explicit CacheStore(CacheStoreOptions options);
  ~CacheStore();
  CacheStore(const CacheStore&) = delete;
  CacheStore& operator=(const CacheStore&) = delete;

  // The variant at url_key that matches `request` (entry.matches_variant), if any and not
  // invalidated. Moves it to the front of its shard's LRU.
  LookupResult lookup(std::string_view url_key, const http::HeaderList& request);

  // Stores `entry`, replacing a variant at the same URL with equal VaryField names and values.
  // Evicts least recently used entries of the shard until it fits. Returns false (and stores
  // nothing) when the entry's charge exceeds the shard budget, when an invalidate_prefix or
  // invalidate_url made after the entry's seq covers it (a fetch that was in flight while a
  // write succeeded), or when the entry is already stored (an entry is
  // stored in at most one place; build a new one to store the same response twice).
  bool insert(const EntryRef& entry);

  // Replaces `old` with `fresh` if `old` is still stored (an upstream 304 refresh); when `old`
  // is gone (evicted or invalidated meanwhile) nothing is stored, so an invalidation is never
  // undone by a refresh that was in flight.
  void replace(const EntryRef& old, const EntryRef& fresh);

  // Removes every variant stored at url_key; returns how many. Responses to fetches that
  // started before this call are refused by insert()/replace() afterwards (the shard
  // remembers the last 1,024 invalidated keys; beyond that it refuses every older fetch).
  size_t invalidate_url(std::string_view url_key);
  // Every entry whose path starts with `path_prefix` (any host; segment-wise or byte-wise, see
  // prefix_generations.h) is treated as absent from now on. O(shards x prefix length); the
  // entries are dropped lazily, when looked up or evicted. Above max_prefixes_per_shard
  // recorded prefixes, a shard forgets them and treats every entry built before this call as
  // invalidated instead.
  void invalidate_prefix(std::string_view path_prefix, PrefixMatch match = PrefixMatch::Bytes);
  // Admin purge: removes entries now and counts them. url_key form or a path prefix.
  // Scans the cache; not for request paths.
  size_t purge_url(std::string_view url_key);
  // Removes every variant stored at `target` (path?query, as in a URL key) on every host, and
  // refuses the responses of fetches for it that started before (as invalidate_url does).
  // O(shards): each shard's target index (target_index.h) holds the entries of one target in
  // one chain, so nothing is scanned.
  size_t purge_target(std::string_view target);
  size_t purge_prefix(std::string_view path_prefix);
  // Every entry stored before this call is reported with forced_stale (fleet: after a gap in
  // the invalidation channel). O(1).
  void mark_all_stale();
  void clear();

  // The sequence number a new entry gets (CacheEntry::seq); increases with every
  // invalidate_prefix/mark_all_stale. CacheEntry::make reads it through current_seq().
  static uint64_t current_seq();

  // Lock-free (relaxed atomic reads): a snapshot whose fields may be from slightly different
  // moments.
  CacheStats stats() const;
  uint64_t max_memory() const;
  uint64_t shard_budget() const { return shard_budget_; }  // max_memory / shards

 private:
  class Shard;
  Shard& shard_for(uint64_t hash) const;
  bool remove_if_stored(const EntryRef& entry);

  std::vector<std::unique_ptr<Shard>> shards_;
  uint64_t shard_mask_;
  unsigned shard_shift_;  // shard = hash >> shard_shift_ (high bits; the table uses the low)
  uint64_t shard_budget_;
  CacheStoreOptions options_;
  std::atomic<uint64_t> stale_floor_{0};  // entries with a lower seq are forced_stale
  std::atomic<uint64_t> invalidations_{0};
};

}  // namespace etagd::cache
