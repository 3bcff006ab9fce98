// How long to wait before the next attempt to reach Redis: reconnect_min, then doubling up to
// reconnect_max, where it stays until an attempt succeeds (reset()).
//
// No jitter: a fleet is a handful of instances, not thousands of clients, and a deterministic
// schedule is one an operator can read off the log. Attempts never stop while etagd runs.
#pragma once

#include <chrono>

namespace etagd::fleet {

class Backoff {
 public:
  // max below min is treated as min (the config loader already rejects it).
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max);

  // The delay before the next attempt; each call doubles the following one, up to max.
  std::chrono::milliseconds next();
  // An attempt succeeded: the next failure starts again from min.
  void reset() { current_ = min_; }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_;
};

}  // namespace etagd::fleet
