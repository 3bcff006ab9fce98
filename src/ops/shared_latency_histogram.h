// A latency histogram written by any thread: the wait of upstream-queued requests, kept per
// server (UpstreamServer) because the server a waiter is finally given is known only when the
// grant comes, on whichever worker the waiter lives, and the set of servers changes with
// reloads, so it cannot be a fixed slot of the single-writer WorkerMetrics. Each observation
// is a relaxed fetch_add: a locked instruction, paid only by requests that already waited
// for a slot (and took the queue's mutex), never by the hot path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace etagd::ops {

// Upper bounds (seconds) of the upstream latency histogram buckets; +Inf is implied.
inline constexpr std::array<double, 13> kLatencyBucketsSeconds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
inline constexpr int kLatencySlots = static_cast<int>(kLatencyBucketsSeconds.size()) + 1;  // + +Inf

// The slot of kLatencyBucketsSeconds (or +Inf, the last) that `latency_us` falls in.
int latency_bucket(int64_t latency_us);

// What a scrape reads: counts per bucket (not cumulative) and the sum.
struct LatencyHistogramCounts {
  std::array<uint64_t, kLatencySlots> buckets{};
  uint64_t sum_us = 0;
};

class SharedLatencyHistogram {
 public:
  void observe(int64_t latency_us);
  LatencyHistogramCounts read() const;

 private:
  std::array<std::atomic<uint64_t>, kLatencySlots> buckets_{};
  std::atomic<uint64_t> sum_us_{0};
};

}  // namespace etagd::ops
