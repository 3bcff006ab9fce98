// A token bucket for error-log lines of one kind, so that a flood (a client sending garbage
// on thousands of connections, an upstream that is down while traffic continues) writes a
// bounded number of lines instead of filling the disk.
//
// The bucket holds `burst` tokens and gains one every `interval_us`; a line takes one token.
// It is kept in the form of the generic cell rate algorithm (one "theoretical arrival time"
// instead of a token count and a refill time), which makes it a single atomic word: any
// worker may call admit() without a lock. Refused lines are counted; the next admitted line
// hands the count over so the caller can say "N similar messages suppressed".
#pragma once

#include <atomic>
#include <cstdint>

namespace etagd::ops {

// The rate every rate-limited error-log kind uses: 10 lines at once, then one a second.
inline constexpr uint32_t kLogBurst = 10;
inline constexpr int64_t kLogIntervalUs = 1'000'000;

class LogRateLimit {
 public:
  LogRateLimit(uint32_t burst, int64_t interval_us);
  LogRateLimit() : LogRateLimit(kLogBurst, kLogIntervalUs) {}

  // May a line be written at `now_us` (a monotonic clock)? When it may, `suppressed` is the
  // number of lines refused since the previous admitted one; otherwise it is left alone.
  // Thread-safe.
  bool admit(int64_t now_us, uint64_t& suppressed);

 private:
  int64_t interval_us_;
  int64_t tolerance_us_;  // (burst - 1) x interval: how far ahead of now the bucket may run
  std::atomic<int64_t> next_free_us_;  // when the bucket is full again, minus one interval
  std::atomic<uint64_t> refused_{0};
};

// The monotonic clock admit() is given in production (microseconds).
int64_t log_clock_us();

}  // namespace etagd::ops
