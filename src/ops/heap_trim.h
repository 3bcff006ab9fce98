// Gives free heap memory back to the kernel when the process holds much more than its cache.
//
// Entries of one size evicted to make room for entries of another leave holes that malloc
// cannot reuse: filling a 256 MiB cache with 2 KiB bodies and then with 64 KiB ones took RSS
// from 269 to 351 MiB while the cache itself stayed at 256 MiB. glibc returns free memory
// inside the heap only on malloc_trim(). It walks the free lists under the arena lock, so it
// runs from the main thread, once a second at most, and only when RSS exceeds the cache's
// bytes (and what the previous trim left) by more than `slack`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

struct event_base;
struct event;

namespace etagd::ops {

class HeapTrimmer {
 public:
  // `cache_bytes`: what the cache holds now (CacheStore::stats().bytes).
  // RSS is checked every `interval`.
  HeapTrimmer(event_base* base, std::function<uint64_t()> cache_bytes, uint64_t slack,
              std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~HeapTrimmer();
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

  uint64_t trims() const { return trims_; }

  // Resident bytes of this process (/proc/self/statm), or 0 if unreadable.
  static uint64_t resident_bytes();

 private:
  static void on_tick(int fd, short what, void* self);
  struct EventFree {
    void operator()(event* e) const;
  };
  std::function<uint64_t()> cache_bytes_;
  uint64_t slack_;
  std::unique_ptr<event, EventFree> timer_;
  uint64_t trims_ = 0;
  uint64_t resident_after_last_trim_ = 0;
};

}  // namespace etagd::ops
