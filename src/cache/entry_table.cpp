#include "cache/entry_table.h"

namespace etagd::cache {

namespace {
constexpr size_t kMinBuckets = 16;
}

EntryTable::EntryTable() : buckets_(kMinBuckets, nullptr) {}

void EntryTable::insert(const CacheEntry* e, uint64_t hash) {
  StoreHooks& h = store_hooks(*e);
  h.hash = static_cast<uint32_t>(hash);
  const CacheEntry*& head = buckets_[h.hash & mask()];
  h.chain_next = head;
  head = e;
  if (++size_ > buckets_.size()) rehash(buckets_.size() * 2);
}

const CacheEntry** EntryTable::slot_of(const CacheEntry* e) {
  const CacheEntry** slot = &buckets_[store_hooks(*e).hash & mask()];
  while (*slot && *slot != e) slot = &store_hooks(**slot).chain_next;
  return slot;
}

void EntryTable::remove(const CacheEntry* e) {
  const CacheEntry** slot = slot_of(e);
  if (!*slot) return;
  *slot = store_hooks(*e).chain_next;
  store_hooks(*e).chain_next = nullptr;
  --size_;
  if (buckets_.size() > kMinBuckets && size_ < buckets_.size() / 4) rehash(buckets_.size() / 2);
}

bool EntryTable::contains(const CacheEntry* e) const {
  for (const CacheEntry* c = buckets_[store_hooks(*e).hash & mask()]; c;
       c = store_hooks(*c).chain_next) {
    if (c == e) return true;
  }
  return false;
}

void EntryTable::rehash(size_t buckets) {
  std::vector<const CacheEntry*> old(buckets, nullptr);
  old.swap(buckets_);
  for (const CacheEntry* e : old) {
    // Append in chain order, so variants at one URL (always in one chain) stay newest first.
    while (e) {
      const CacheEntry* next = store_hooks(*e).chain_next;
      const CacheEntry** tail = &buckets_[store_hooks(*e).hash & mask()];
      while (*tail) tail = &store_hooks(**tail).chain_next;
      store_hooks(*e).chain_next = nullptr;
      *tail = e;
      e = next;
    }
  }
}

}  // namespace etagd::cache
