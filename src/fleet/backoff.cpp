#include "fleet/backoff.h"

#include <algorithm>

namespace etagd::fleet {

Backoff::Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max)
    : min_(std::max(min, std::chrono::milliseconds(1))),
      max_(std::max(max, min_)),
      current_(min_) {}

std::chrono::milliseconds Backoff::next() {
  std::chrono::milliseconds delay = current_;
  // Compare before doubling so a huge max cannot overflow the count.
  current_ = current_ >= max_ / 2 ? max_ : current_ * 2;
  return delay;
}

}  // namespace etagd::fleet
