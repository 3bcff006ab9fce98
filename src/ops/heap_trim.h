// Gives free heap memory back to the kernel: soon after the cache has freed a step of heap
// memory, and whenever the process holds much more than its cache.
//
// Entries of one size evicted to make room for entries of another leave holes that malloc
// cannot reuse: filling a 256 MiB cache with 2 KiB bodies and then with 64 KiB ones took RSS
// from 269 to 351 MiB while the cache itself stayed at 256 MiB. glibc returns free memory
// inside the heap only on malloc_trim(). It walks the free lists under the arena lock, so it
// runs from the main thread.
//
// Both triggers are looked at every `interval` (50 ms), and every `busy_interval` (2 ms) while
// the cache is freeing: it frees heap blocks at the rate entries are evicted, which under a miss
// storm is hundreds of MiB a second. With one look a second, 60 MiB of holes stayed resident
// between trims in bench/memory_shift; with one every 50 ms, 30 MiB at the worst sample; an idle
// daemon still wakes only 20 times a second.
//   - volume (trim_after_freed): `step` more bytes freed by the cache since the last trim (one
//     atomic load), so what sits freed but resident stays near `step`;
//   - RSS (/proc/self/statm, a few microseconds): RSS above the cache's bytes plus `slack`, and
//     above what the previous trim left by a quarter of `slack`: memory freed by anything else,
//     such as the buffers of bodies in flight or of a burst of connections.
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
  HeapTrimmer(event_base* base, std::function<uint64_t()> cache_bytes, uint64_t slack,
              std::chrono::milliseconds interval = std::chrono::milliseconds(50),
              std::chrono::milliseconds busy_interval = std::chrono::milliseconds(2));
  ~HeapTrimmer();
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

  // Also trims once `freed_bytes()` (a running total of heap bytes freed, such as
  // cache::heap_entry_bytes_freed()) has grown by `step` since the last trim.
  void trim_after_freed(std::function<uint64_t()> freed_bytes, uint64_t step);

  uint64_t trims() const { return trims_; }

  // Resident bytes of this process (/proc/self/statm), or 0 if unreadable.
  static uint64_t resident_bytes();

 private:
  static void on_tick(int fd, short what, void* self);
  // Looks at both triggers; true when the cache freed anything since the previous look.
  bool check();
  void trim(uint64_t rss_before);
  void arm(std::chrono::milliseconds after);
  struct EventFree {
    void operator()(event* e) const;
  };
  std::function<uint64_t()> cache_bytes_;
  uint64_t slack_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds busy_interval_;
  std::unique_ptr<event, EventFree> timer_;
  std::function<uint64_t()> freed_bytes_;
  uint64_t step_ = 0;
  uint64_t freed_at_last_trim_ = 0;
  uint64_t freed_at_last_look_ = 0;
  uint64_t trims_ = 0;
  uint64_t resident_after_last_trim_ = 0;
};

}  // namespace etagd::ops
