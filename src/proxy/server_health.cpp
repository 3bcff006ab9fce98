#include "proxy/server_health.h"

#include <algorithm>

#include "base/clock.h"

namespace etagd::proxy {

int64_t health_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             base::monotonic_now().time_since_epoch())
      .count();
}

bool server_usable(const UpstreamServer& s, int64_t now_ms) {
  return !s.removed.load(std::memory_order_relaxed) && s.probe_up.load(std::memory_order_relaxed) &&
         now_ms >= s.ejected_until_ms.load(std::memory_order_relaxed);
}

bool record_passive_failure(UpstreamServer& s, const config::PassiveCheckConfig& passive,
                            int64_t now_ms) {
  if (!passive.enabled) return false;
  // A fixed window opened by the first failure: simple, lock-free, and close enough to a
  // sliding one for "fails within": at worst it takes up to twice `within` to count them.
  int64_t start = s.fail_window_start_ms.load(std::memory_order_relaxed);
  if (start == 0 || now_ms - start > passive.within.count()) {
    s.fail_window_start_ms.store(now_ms, std::memory_order_relaxed);
    s.fails_in_window.store(0, std::memory_order_relaxed);
  }
  uint32_t fails = s.fails_in_window.fetch_add(1, std::memory_order_relaxed) + 1;
  if (fails < passive.fails || now_ms < s.ejected_until_ms.load(std::memory_order_relaxed)) {
    return false;
  }
  int64_t until = now_ms + passive.eject_for.count();
  s.ejected_until_ms.store(until, std::memory_order_relaxed);
  s.back_since_ms.store(until, std::memory_order_relaxed);  // slow start when it ends
  s.fails_in_window.store(0, std::memory_order_relaxed);
  s.fail_window_start_ms.store(0, std::memory_order_relaxed);
  s.ejections.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void record_request_failed(UpstreamServer& s, ops::UpstreamError error, int64_t now_ms) {
  s.failure.store(static_cast<uint8_t>(error), std::memory_order_relaxed);
  // 0 means "answered since": a failure at the clock's very start still counts as one.
  s.failed_at_ms.store(std::max<int64_t>(now_ms, 1), std::memory_order_relaxed);
}

void record_request_answered(UpstreamServer& s) {
  // Read first: a shared line every worker writes would cost each answer a cache miss.
  if (s.failed_at_ms.load(std::memory_order_relaxed) != 0) {
    s.failed_at_ms.store(0, std::memory_order_relaxed);
  }
}

int record_probe(UpstreamServer& s, const config::HealthCheckConfig& check, bool passed,
                 int& streak, int64_t now_ms) {
  (passed ? s.probes_passed : s.probes_failed).fetch_add(1, std::memory_order_relaxed);
  if (passed) {
    streak = streak > 0 ? streak + 1 : 1;
  } else {
    streak = streak < 0 ? streak - 1 : -1;
  }
  bool up = s.probe_up.load(std::memory_order_relaxed);
  if (!up && streak >= static_cast<int>(check.passes)) {
    s.back_since_ms.store(now_ms, std::memory_order_relaxed);
    s.probe_up.store(true, std::memory_order_relaxed);
    return 1;
  }
  if (up && -streak >= static_cast<int>(check.fails)) {
    s.probe_up.store(false, std::memory_order_relaxed);
    return -1;
  }
  return 0;
}

uint64_t weight_now_milli(uint32_t weight, const UpstreamServer& s, int64_t slow_start_ms,
                          int64_t now_ms) {
  uint64_t full = static_cast<uint64_t>(weight) * 1000;
  int64_t since = s.back_since_ms.load(std::memory_order_relaxed);
  if (slow_start_ms <= 0 || since == 0 || now_ms >= since + slow_start_ms) return full;
  int64_t elapsed = std::max<int64_t>(0, now_ms - since);
  uint64_t share = full * static_cast<uint64_t>(elapsed) / static_cast<uint64_t>(slow_start_ms);
  return std::max<uint64_t>(full / 10, share);
}

}  // namespace etagd::proxy
