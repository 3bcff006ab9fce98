#include "cache/target_index.h"

#include <xxhash.h>

#include "cache/cache_key.h"

namespace etagd::cache {

namespace {
constexpr size_t kMinBuckets = 16;
}

TargetIndex::TargetIndex() : buckets_(kMinBuckets, nullptr) {}

std::string_view TargetIndex::target_of(const CacheEntry& e) { return url_key_target(e.url_key()); }

uint64_t TargetIndex::hash_of(std::string_view target) {
  return XXH3_64bits(target.data(), target.size());
}

void TargetIndex::insert(const CacheEntry* e) {
  const CacheEntry*& head = buckets_[hash_of(target_of(*e)) & mask()];
  store_hooks(*e).target_next = head;
  head = e;
  if (++size_ > 2 * buckets_.size()) rehash(buckets_.size() * 2);
}

void TargetIndex::remove(const CacheEntry* e) {
  const CacheEntry** slot = &buckets_[hash_of(target_of(*e)) & mask()];
  while (*slot && *slot != e) slot = &store_hooks(**slot).target_next;
  if (!*slot) return;
  *slot = store_hooks(*e).target_next;
  store_hooks(*e).target_next = nullptr;
  --size_;
  if (buckets_.size() > kMinBuckets && size_ < buckets_.size() / 2) rehash(buckets_.size() / 2);
}

void TargetIndex::rehash(size_t buckets) {
  std::vector<const CacheEntry*> old(buckets, nullptr);
  old.swap(buckets_);
  for (const CacheEntry* e : old) {
    while (e) {
      const CacheEntry* next = store_hooks(*e).target_next;
      const CacheEntry*& head = buckets_[hash_of(target_of(*e)) & mask()];
      store_hooks(*e).target_next = head;
      head = e;
      e = next;
    }
  }
}

}  // namespace etagd::cache
