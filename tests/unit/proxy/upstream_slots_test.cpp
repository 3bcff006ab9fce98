// The slot count and the FIFO of waiters behind upstream.max_connections, without workers:
// waiters are named by an id only (their worker pointer is never followed here).
#include "proxy/upstream_slots.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace etagd::proxy {
namespace {

using Admission = UpstreamSlots::Admission;

UpstreamSlots::Waiter waiter(uint64_t id) { return {nullptr, id}; }

}  // namespace

TEST_CASE("slots are taken up to the limit without queueing") {
  UpstreamSlots slots;
  CHECK(slots.try_admit(2));
  CHECK(slots.try_admit(2));
  CHECK_FALSE(slots.try_admit(2));
  CHECK(slots.in_flight() == 2);
}

TEST_CASE("over the limit requests queue up to the queue size, then are refused") {
  UpstreamSlots slots;
  REQUIRE(slots.try_admit(1));
  CHECK(slots.enqueue(1, 2, waiter(1)) == Admission::Queued);
  CHECK(slots.enqueue(1, 2, waiter(2)) == Admission::Queued);
  CHECK(slots.enqueue(1, 2, waiter(3)) == Admission::QueueFull);
  CHECK(slots.waiting() == 2);
  // With a queue of 0 nothing waits.
  UpstreamSlots none;
  REQUIRE(none.try_admit(1));
  CHECK(none.enqueue(1, 0, waiter(1)) == Admission::QueueFull);
}

TEST_CASE("a released slot goes to the longest waiting request, which keeps it") {
  UpstreamSlots slots;
  REQUIRE(slots.try_admit(1));
  REQUIRE(slots.enqueue(1, 10, waiter(1)) == Admission::Queued);
  REQUIRE(slots.enqueue(1, 10, waiter(2)) == Admission::Queued);
  std::vector<UpstreamSlots::Waiter> granted = slots.release(1);
  REQUIRE(granted.size() == 1);
  CHECK(granted[0].id == 1);
  CHECK(slots.in_flight() == 1);  // handed over, not freed
  CHECK(slots.waiting() == 1);
  granted = slots.release(1);
  REQUIRE(granted.size() == 1);
  CHECK(granted[0].id == 2);
  CHECK(slots.release(1).empty());
  CHECK(slots.in_flight() == 0);
}

TEST_CASE("a newcomer does not overtake a queued request") {
  UpstreamSlots slots;
  REQUIRE(slots.try_admit(1));
  REQUIRE(slots.enqueue(1, 10, waiter(1)) == Admission::Queued);
  CHECK_FALSE(slots.try_admit(2));  // a slot is free under a higher limit, but one waits
  CHECK(slots.enqueue(2, 10, waiter(2)) == Admission::Queued);
}

TEST_CASE("a withdrawn waiter is never granted; withdrawing after the grant says so") {
  UpstreamSlots slots;
  REQUIRE(slots.try_admit(1));
  REQUIRE(slots.enqueue(1, 10, waiter(1)) == Admission::Queued);
  REQUIRE(slots.enqueue(1, 10, waiter(2)) == Admission::Queued);
  CHECK(slots.withdraw(waiter(1)));
  std::vector<UpstreamSlots::Waiter> granted = slots.release(1);
  REQUIRE(granted.size() == 1);
  CHECK(granted[0].id == 2);
  CHECK_FALSE(slots.withdraw(waiter(2)));  // granted already
}

TEST_CASE("under contention from several threads every queued request is granted in the end "
          "and the count never passes the limit") {
  UpstreamSlots slots;
  constexpr uint32_t kLimit = 3;
  constexpr int kThreads = 4;
  constexpr int kRounds = 5000;
  std::atomic<uint64_t> next_id{1};
  std::atomic<int> queued{0};
  std::atomic<int> granted_later{0};
  std::atomic<bool> over_limit{false};
  // A holder's turn: check the count, give the slot back, and serve (here, at once) the
  // waiters the release handed a slot to, as their workers would.
  auto hold_then_release = [&] {
    std::vector<UpstreamSlots::Waiter> turns{UpstreamSlots::Waiter{}};
    while (!turns.empty()) {
      turns.pop_back();
      if (slots.in_flight() > kLimit) over_limit = true;
      for (const UpstreamSlots::Waiter& w : slots.release(kLimit)) {
        turns.push_back(w);
        granted_later++;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        if (slots.try_admit(kLimit)) {
          hold_then_release();
          continue;
        }
        switch (slots.enqueue(kLimit, 1'000'000, waiter(next_id++))) {
          case Admission::Granted: hold_then_release(); break;
          case Admission::Queued: queued++; break;
          case Admission::QueueFull: break;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK_FALSE(over_limit.load());
  CHECK(slots.waiting() == 0);
  CHECK(slots.in_flight() == 0);
  CHECK(granted_later.load() == queued.load());
}

}  // namespace etagd::proxy
