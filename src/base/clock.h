// The two kinds of time etagd reads, with their own types so they cannot be mixed up:
//
//   wall time       whole seconds since the epoch: HTTP dates, RFC 9111 ages and lifetimes
//                   (which count delta-seconds), and the access log's timestamps (ms)
//   monotonic time  durations: latencies, timeouts, heartbeats; never jumps with the clock
//
// A LoopClock reads wall time as libevent caches it for the current loop iteration: every
// request answered in one iteration sees the same second, and the hot path makes no syscall
// for it.
#pragma once

#include <chrono>
#include <cstdint>

struct event_base;

namespace etagd::base {

using WallSeconds = std::chrono::sys_seconds;
using WallMillis = std::chrono::sys_time<std::chrono::milliseconds>;
using MonoTime = std::chrono::steady_clock::time_point;

inline MonoTime monotonic_now() { return std::chrono::steady_clock::now(); }

// Microseconds between two monotonic readings (what latency metrics and the access log use).
inline int64_t micros_between(MonoTime from, MonoTime to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

class LoopClock {
 public:
  explicit LoopClock(event_base* base) : base_(base) {}

  WallMillis wall_ms() const;
  WallSeconds wall() const { return std::chrono::floor<std::chrono::seconds>(wall_ms()); }
  // wall() as seconds since the epoch: what an HTTP date (http/http_date.h) counts in.
  int64_t unix_seconds() const { return wall().time_since_epoch().count(); }

 private:
  event_base* base_;
};

}  // namespace etagd::base
