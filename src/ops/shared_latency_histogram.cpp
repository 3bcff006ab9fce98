#include "ops/shared_latency_histogram.h"

namespace etagd::ops {

int latency_bucket(int64_t latency_us) {
  for (size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
    // Bounds are whole microseconds, so compare in integers (no float rounding at the edge).
    auto bound_us = static_cast<int64_t>(kLatencyBucketsSeconds[i] * 1e6 + 0.5);
    if (latency_us <= bound_us) return static_cast<int>(i);
  }
  return kLatencySlots - 1;
}

void SharedLatencyHistogram::observe(int64_t latency_us) {
  if (latency_us < 0) latency_us = 0;
  buckets_[static_cast<size_t>(latency_bucket(latency_us))].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(latency_us), std::memory_order_relaxed);
}

LatencyHistogramCounts SharedLatencyHistogram::read() const {
  LatencyHistogramCounts out;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    out.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  out.sum_us = sum_us_.load(std::memory_order_relaxed);
  return out;
}

}  // namespace etagd::ops
