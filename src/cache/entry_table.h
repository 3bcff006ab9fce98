// A shard's index from URL key to the entries stored at it (one per variant). An intrusive
// chained hash table, like LevelDB's HandleTable: chains run through StoreHooks::chain_next, so
// an entry costs one bucket pointer here and nothing else. The bucket array doubles when
// entries outnumber buckets and halves below a quarter, so chains stay about one entry long
// and the array stays between 8 and 32 bytes per entry (the entry's charge counts 16).
// Keys are compared in full: equal hashes never make two URLs one.
// Not thread-safe: the shard's mutex guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "cache/cache_entry.h"

namespace etagd::cache {

class EntryTable {
 public:
  EntryTable();

  // Adds `e`, which must not be in the table, under `hash` (of its URL key). It goes to the
  // front of its chain: among variants at one URL the newest is found first (RFC 9111 §4.1
  // prefers the most recent response when several match).
  void insert(const CacheEntry* e, uint64_t hash);
  // Removes `e`, which must be in the table.
  void remove(const CacheEntry* e);
  bool contains(const CacheEntry* e) const;

  // The newest entry whose URL key is `url_key` and for which pred(entry) is true, or null.
  template <typename Pred>
  const CacheEntry* find_at(uint64_t hash, std::string_view url_key, Pred&& pred) const {
    uint32_t h = static_cast<uint32_t>(hash);
    for (const CacheEntry* e = buckets_[h & mask()]; e; e = store_hooks(*e).chain_next) {
      if (store_hooks(*e).hash == h && e->url_key() == url_key && pred(e)) return e;
    }
    return nullptr;
  }
  // Calls fn(entry) for every entry. fn must not change the table.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const CacheEntry* head : buckets_) {
      for (const CacheEntry* e = head; e; e = store_hooks(*e).chain_next) fn(e);
    }
  }

  size_t size() const { return size_; }
  size_t bucket_count() const { return buckets_.size(); }

 private:
  size_t mask() const { return buckets_.size() - 1; }
  const CacheEntry** slot_of(const CacheEntry* e);
  void rehash(size_t buckets);

  std::vector<const CacheEntry*> buckets_;  // power-of-two size
  size_t size_ = 0;
};

}  // namespace etagd::cache
