// Polls a condition until it holds or a deadline passes: how fleet tests wait for messages
// that travel through Redis asynchronously.
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
