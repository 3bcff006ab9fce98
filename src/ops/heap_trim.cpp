#include "ops/heap_trim.h"

#include <event2/event.h>
#include <malloc.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace etagd::ops {

void HeapTrimmer::EventFree::operator()(event* e) const { event_free(e); }

HeapTrimmer::HeapTrimmer(event_base* base, std::function<uint64_t()> cache_bytes, uint64_t slack,
                         std::chrono::milliseconds interval)
    : cache_bytes_(std::move(cache_bytes)),
      slack_(slack),
      timer_(event_new(base, -1, EV_PERSIST, &HeapTrimmer::on_tick, this)) {
  timeval tv{static_cast<time_t>(interval.count() / 1000),
             static_cast<suseconds_t>(interval.count() % 1000 * 1000)};
  event_add(timer_.get(), &tv);
}

HeapTrimmer::~HeapTrimmer() = default;

uint64_t HeapTrimmer::resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE))
                : 0;
}

void HeapTrimmer::on_tick(int, short, void* self) {
  auto* t = static_cast<HeapTrimmer*>(self);
  uint64_t rss = resident_bytes();
  // A trim that could not give much back (memory that is really in use: connections, a
  // sanitizer's shadow) must not repeat every second; the next one waits until RSS has grown by
  // `slack` past what the last one left.
  uint64_t threshold = std::max(t->cache_bytes_(), t->resident_after_last_trim_) + t->slack_;
  if (rss == 0 || rss <= threshold) return;
  auto start = std::chrono::steady_clock::now();
  malloc_trim(0);
  ++t->trims_;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
  t->resident_after_last_trim_ = resident_bytes();
  spdlog::debug("heap trimmed in {} us: {} MiB resident before, {} MiB after", us, rss >> 20,
                t->resident_after_last_trim_ >> 20);
}

}  // namespace etagd::ops
