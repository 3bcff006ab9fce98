#include "ops/heap_trim.h"

#include <event2/event.h>
#include <malloc.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace etagd::ops {

namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>(d.count() % 1000 * 1000)};
}

}  // namespace

void HeapTrimmer::EventFree::operator()(event* e) const { event_free(e); }

HeapTrimmer::HeapTrimmer(event_base* base, std::function<uint64_t()> cache_bytes, uint64_t slack,
                         std::chrono::milliseconds interval)
    : cache_bytes_(std::move(cache_bytes)),
      slack_(slack),
      timer_(event_new(base, -1, EV_PERSIST, &HeapTrimmer::on_tick, this)) {
  timeval tv = to_timeval(interval);
  event_add(timer_.get(), &tv);
}

HeapTrimmer::~HeapTrimmer() = default;

void HeapTrimmer::trim_after_freed(std::function<uint64_t()> freed_bytes, uint64_t step) {
  freed_bytes_ = std::move(freed_bytes);
  step_ = step;
  freed_at_last_trim_ = freed_bytes_();
}

uint64_t HeapTrimmer::resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE))
                : 0;
}

void HeapTrimmer::trim(uint64_t rss_before) {
  auto start = std::chrono::steady_clock::now();
  if (freed_bytes_) freed_at_last_trim_ = freed_bytes_();
  malloc_trim(0);
  ++trims_;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
  resident_after_last_trim_ = resident_bytes();
  spdlog::debug("heap trimmed in {} us: {} MiB resident before, {} MiB after", us,
                rss_before >> 20, resident_after_last_trim_ >> 20);
}

void HeapTrimmer::on_tick(int, short, void* self) {
  auto* t = static_cast<HeapTrimmer*>(self);
  if (t->freed_bytes_ && t->freed_bytes_() - t->freed_at_last_trim_ >= t->step_) {
    t->trim(resident_bytes());
    return;
  }
  uint64_t rss = resident_bytes();
  // A trim that could not give much back (memory that is really in use: connections, a
  // sanitizer's shadow) must not repeat at every tick; the next one waits until RSS has grown
  // by a quarter of `slack` past what the last one left.
  if (rss == 0 || rss <= t->cache_bytes_() + t->slack_ ||
      rss <= t->resident_after_last_trim_ + t->slack_ / 4) {
    return;
  }
  t->trim(rss);
}

}  // namespace etagd::ops
