// A shard's recency order: an intrusive doubly linked list through StoreHooks::lru_prev/next,
// most recently used at the front. O(1) everything, no allocation. Not thread-safe: the
// shard's mutex guards it.
#pragma once

#include "cache/cache_entry.h"

namespace etagd::cache {

class LruList {
 public:
  bool empty() const { return head_ == nullptr; }
  const CacheEntry* front() const { return head_; }
  const CacheEntry* back() const { return tail_; }  // the eviction candidate

  void push_front(const CacheEntry* e) {
    StoreHooks& h = store_hooks(*e);
    h.lru_prev = nullptr;
    h.lru_next = head_;
    if (head_) store_hooks(*head_).lru_prev = e;
    head_ = e;
    if (!tail_) tail_ = e;
  }

  void remove(const CacheEntry* e) {
    StoreHooks& h = store_hooks(*e);
    if (h.lru_prev) {
      store_hooks(*h.lru_prev).lru_next = h.lru_next;
    } else {
      head_ = h.lru_next;
    }
    if (h.lru_next) {
      store_hooks(*h.lru_next).lru_prev = h.lru_prev;
    } else {
      tail_ = h.lru_prev;
    }
    h.lru_prev = h.lru_next = nullptr;
  }

  void move_to_front(const CacheEntry* e) {
    if (head_ == e) return;
    remove(e);
    push_front(e);
  }

  // Next entry towards the back, for walks from front() (e.g. clearing a shard).
  static const CacheEntry* next(const CacheEntry* e) { return store_hooks(*e).lru_next; }

 private:
  const CacheEntry* head_ = nullptr;
  const CacheEntry* tail_ = nullptr;
};

}  // namespace etagd::cache
