#include "fleet/outbox.h"

#include <doctest/doctest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using etagd::fleet::Outbox;

namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

uint64_t wake_count(int fd) {
  uint64_t n = 0;
  if (::read(fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) return 0;
  return n;
}

}  // namespace

TEST_CASE("messages come out oldest first, at most `max` per take") {
  Outbox box(10);
  REQUIRE(box.valid());
  for (int i = 0; i < 5; ++i) CHECK(box.push("m" + std::to_string(i)));
  CHECK(box.take(2) == std::vector<std::string>{"m0", "m1"});
  CHECK(box.size() == 3);
  CHECK(box.take(100) == std::vector<std::string>{"m2", "m3", "m4"});
  CHECK(box.take(100).empty());
}

TEST_CASE("a full outbox refuses a message and counts the drop") {
  Outbox box(3);
  CHECK(box.push("a"));
  CHECK(box.push("b"));
  CHECK(box.push("c"));
  CHECK_FALSE(box.push("d"));
  CHECK_FALSE(box.push("e"));
  CHECK(box.dropped() == 2);
  CHECK(box.size() == 3);
  // The refused ones are gone; the queue keeps the oldest, and room made by take() is usable.
  CHECK(box.take(1) == std::vector<std::string>{"a"});
  CHECK(box.push("f"));
  CHECK(box.take(10) == std::vector<std::string>{"b", "c", "f"});
  CHECK(box.dropped() == 2);
}

TEST_CASE("only the first push into an empty outbox wakes the fleet thread") {
  Outbox box(10);
  CHECK_FALSE(readable(box.wake_fd()));
  box.push("a");
  box.push("b");
  box.push("c");
  REQUIRE(readable(box.wake_fd()));
  CHECK(wake_count(box.wake_fd()) == 1);
  CHECK_FALSE(readable(box.wake_fd()));

  // Still non-empty: another push does not wake again.
  box.push("d");
  CHECK_FALSE(readable(box.wake_fd()));
  // Emptied: the next push does.
  box.take(10);
  box.push("e");
  CHECK(readable(box.wake_fd()));
  box.clear_wake();
  CHECK_FALSE(readable(box.wake_fd()));
}

TEST_CASE("wake() makes the fd readable without a message (the stop signal)") {
  Outbox box(1);
  box.wake();
  CHECK(readable(box.wake_fd()));
  CHECK(box.size() == 0);
}

TEST_CASE("pushes from many threads are each either queued or counted as dropped") {
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  Outbox box(1000);
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (box.push(std::to_string(t) + ":" + std::to_string(i))) accepted.fetch_add(1);
      }
    });
  }
  // A consumer taking concurrently, as the fleet thread does.
  size_t taken = 0;
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    while (!done.load()) taken += box.take(64).size();
  });
  for (auto& t : threads) t.join();
  done = true;
  consumer.join();
  taken += box.take(100000).size();
  CHECK(taken == static_cast<size_t>(accepted.load()));
  CHECK(static_cast<uint64_t>(accepted.load()) + box.dropped() ==
        static_cast<uint64_t>(kThreads * kEach));
}
