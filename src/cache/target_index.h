// A shard's second index: from the target part of a URL key (path?query, the key without its
// host; cache_key.h) to the entries stored at that target on any host. It is what lets a
// purge of one path on every host (CacheStore::purge_target) find its entries without a
// scan: one chain walk per shard. Intrusive like EntryTable: chains run through
// StoreHooks::target_next, so an entry costs a chain pointer in its hooks and about half a
// bucket pointer here, and nothing is allocated per entry. The bucket array doubles when
// entries outnumber buckets twice and halves below half as many: chains are walked only to
// insert, remove and purge, never by a lookup, so they may be longer than EntryTable's.
// Not thread-safe: the shard's mutex guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "cache/cache_entry.h"

namespace etagd::cache {

class TargetIndex {
 public:
  TargetIndex();

  // Adds `e`, which must not be in the index.
  void insert(const CacheEntry* e);
  // Removes `e`, which must be in the index.
  void remove(const CacheEntry* e);

  // Calls fn(entry) for every entry whose URL key's target is `target`, on any host. fn must
  // not change the index (collect, then remove).
  template <typename Fn>
  void for_each_at(std::string_view target, Fn&& fn) const {
    for (const CacheEntry* e = buckets_[hash_of(target) & mask()]; e;
         e = store_hooks(*e).target_next) {
      if (target_of(*e) == target) fn(e);
    }
  }

  size_t size() const { return size_; }

  // The target of an entry's URL key ("/items?page=2" of "api.example.com/items?page=2").
  static std::string_view target_of(const CacheEntry& e);

 private:
  static uint64_t hash_of(std::string_view target);
  size_t mask() const { return buckets_.size() - 1; }
  void rehash(size_t buckets);

  std::vector<const CacheEntry*> buckets_;  // power-of-two size
  size_t size_ = 0;
};

}  // namespace etagd::cache
