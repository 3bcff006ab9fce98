// Polls a condition every 10 ms until it holds or `timeout` passes: how a test waits for
// something that happens asynchronously (a message through Redis, a descriptor freed, a log
// line written) instead of sleeping for a fixed time. Returns whether it held.
#pragma once

#include <chrono>
#include <thread>

namespace etagd::testing {

template <typename Condition>
bool eventually(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace etagd::testing
