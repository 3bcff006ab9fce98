// Wall-clock instants written as plain numbers in unit tests of cache timing: at(1000) is
// 1000 s after the epoch, the unit RFC 9111's ages and lifetimes count in.
#pragma once

#include <chrono>
#include <cstdint>

#include "base/clock.h"

namespace etagd::testing {

constexpr base::WallSeconds at(int64_t unix_seconds) {
  return base::WallSeconds(std::chrono::seconds(unix_seconds));
}

}  // namespace etagd::testing
