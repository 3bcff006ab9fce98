#include "cache/coalescer.h"

#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <string>
#include <thread>
#include <vector>

using etagd::cache::Coalescer;
using Reason = etagd::cache::Coalescer::WakeReason;

TEST_CASE("the first request for a key leads, and later ones wait and are woken once") {
  Coalescer c;
  int woken_a = 0, woken_b = 0;
  CHECK(c.join("h/x", [](Coalescer::WakeReason) { FAIL("the leader is never woken"); }));
  CHECK(!c.join("h/x", [&](Coalescer::WakeReason) { ++woken_a; }));
  CHECK(!c.join("h/x", [&](Coalescer::WakeReason) { ++woken_b; }));
  CHECK(c.in_flight() == 1);
  CHECK(woken_a == 0);
  c.finish("h/x");
  CHECK(woken_a == 1);
  CHECK(woken_b == 1);
  CHECK(c.in_flight() == 0);
  c.finish("h/x");  // no leader any more: nothing happens
  CHECK(woken_a == 1);
}

TEST_CASE("after finish, the next request for the key leads a new fetch") {
  Coalescer c;
  CHECK(c.join("k", nullptr));
  c.finish("k");
  CHECK(c.join("k", nullptr));
  CHECK(!c.join("k", [](Coalescer::WakeReason) {}));
  c.finish("k");
}

TEST_CASE("keys are independent: each has its own leader and waiters") {
  Coalescer c(4);
  int woken_x = 0, woken_y = 0;
  CHECK(c.join("x", nullptr));
  CHECK(c.join("y", nullptr));
  CHECK(!c.join("x", [&](Coalescer::WakeReason) { ++woken_x; }));
  CHECK(!c.join("y", [&](Coalescer::WakeReason) { ++woken_y; }));
  CHECK(c.in_flight() == 2);
  c.finish("x");
  CHECK(woken_x == 1);
  CHECK(woken_y == 0);
  CHECK(c.join("x", nullptr));  // y is still in flight, x starts over
  c.finish("y");
  CHECK(woken_y == 1);
  c.finish("x");
  CHECK(c.in_flight() == 0);
}

TEST_CASE("a wake-up may join again: it runs outside the lock") {
  Coalescer c(1);
  bool led_again = false;
  CHECK(c.join("k", nullptr));
  CHECK(!c.join("k", [&](Coalescer::WakeReason) { led_again = c.join("k", nullptr); }));
  c.finish("k");
  CHECK(led_again);
  CHECK(c.in_flight() == 1);
  c.finish("k");
}

TEST_CASE("many threads joining one key at once get exactly one leader") {
  constexpr int kThreads = 8;
  for (int round = 0; round < 50; ++round) {
    Coalescer c;
    std::atomic<int> leaders{0}, waiters{0}, woken{0};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        if (c.join("shared/key", [&](Coalescer::WakeReason) { woken.fetch_add(1); })) {
          leaders.fetch_add(1);
        } else {
          waiters.fetch_add(1);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    REQUIRE(leaders.load() == 1);
    REQUIRE(waiters.load() == kThreads - 1);
    CHECK(woken.load() == 0);
    c.finish("shared/key");
    CHECK(woken.load() == kThreads - 1);
  }
}

TEST_CASE("concurrent leaders finishing while others join wake every waiter exactly once") {
  constexpr int kThreads = 6;
  constexpr int kRounds = 2000;
  Coalescer c(4);
  std::atomic<long> joined_as_waiter{0}, woken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        std::string key = "k" + std::to_string((i + t) % 5);
        if (c.join(key, [&](Coalescer::WakeReason) { woken.fetch_add(1); })) {
          std::this_thread::yield();
          c.finish(key);
        } else {
          joined_as_waiter.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(c.in_flight() == 0);
  CHECK(woken.load() == joined_as_waiter.load());
}

TEST_CASE("waiters learn whether the leader finished or gave up") {
  Coalescer c;
  Reason seen = Reason::Finished;
  CHECK(c.join("k", nullptr));
  CHECK(!c.join("k", [&](Reason r) { seen = r; }));
  c.finish("k", Reason::LeaderGaveUp);
  CHECK(seen == Reason::LeaderGaveUp);
  CHECK(c.join("k", nullptr));
  CHECK(!c.join("k", [&](Reason r) { seen = r; }));
  c.finish("k");
  CHECK(seen == Reason::Finished);
}
