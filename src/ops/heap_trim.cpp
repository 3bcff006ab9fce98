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
                         std::chrono::milliseconds interval,
                         std::chrono::milliseconds busy_interval)
    : cache_bytes_(std::move(cache_bytes)),
      slack_(slack),
      interval_(interval),
      busy_interval_(std::min(busy_interval, interval)),
      timer_(event_new(base, -1, 0, &HeapTrimmer::on_tick, this)) {
  arm(interval_);
}

void HeapTrimmer::arm(std::chrono::milliseconds after) {
  timeval tv = to_timeval(after);
  event_add(timer_.get(), &tv);
}

HeapTrimmer::~HeapTrimmer() = default;

void HeapTrimmer::trim_after_freed(std::function<uint64_t()> freed_bytes, uint64_t step) {
  freed_bytes_ = std::move(freed_bytes);
  step_ = step;
  freed_at_last_trim_ = freed_bytes_();
  freed_at_last_look_ = freed_at_last_trim_;
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
  t->arm(t->check() ? t->busy_interval_ : t->interval_);
}

bool HeapTrimmer::check() {
  bool freeing = false;
  if (freed_bytes_) {
    uint64_t freed = freed_bytes_();
    freeing = freed != freed_at_last_look_;
    freed_at_last_look_ = freed;
    if (freed - freed_at_last_trim_ >= step_) {
      trim(resident_bytes());
      return freeing;
    }
  }
  uint64_t rss = resident_bytes();
  // A trim that could not give much back (memory that is really in use: connections, a
  // sanitizer's shadow) must not repeat at every tick; the next one waits until RSS has grown
  // by a quarter of `slack` past what the last one left.
  if (rss == 0 || rss <= cache_bytes_() + slack_ ||
      rss <= resident_after_last_trim_ + slack_ / 4) {
    return freeing;
  }
  trim(rss);
  return freeing;
}

}  // namespace etagd::ops
