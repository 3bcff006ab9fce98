#include "ops/log_rate_limit.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace etagd::ops {

LogRateLimit::LogRateLimit(uint32_t burst, int64_t interval_us)
    : interval_us_(std::max<int64_t>(interval_us, 1)),
      tolerance_us_(static_cast<int64_t>(std::max<uint32_t>(burst, 1) - 1) *
                    std::max<int64_t>(interval_us, 1)),
      next_free_us_(std::numeric_limits<int64_t>::min() / 2) {}

bool LogRateLimit::admit(int64_t now_us, uint64_t& suppressed) {
  int64_t tat = next_free_us_.load(std::memory_order_relaxed);
  for (;;) {
    int64_t from = std::max(tat, now_us);
    // A line arriving while the bucket is more than `burst - 1` intervals in debt is refused.
    if (from - now_us > tolerance_us_) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (next_free_us_.compare_exchange_weak(tat, from + interval_us_, std::memory_order_relaxed)) {
      break;
    }
  }
  suppressed = refused_.exchange(0, std::memory_order_relaxed);
  return true;
}

int64_t log_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace etagd::ops
