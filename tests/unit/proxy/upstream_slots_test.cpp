// The per-server slot counts and the one FIFO of waiters behind upstream.max_connections,
// without workers: waiters are named by an id only (their worker pointer is never followed).
#include "proxy/upstream_slots.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace etagd::proxy {
namespace {

using Admission = UpstreamSlots::Admission;

UpstreamSlots::Waiter waiter(uint64_t id) { return {nullptr, id}; }

std::vector<RunningServer> servers(size_t n) {
  std::vector<RunningServer> out;
  for (size_t i = 0; i < n; ++i) {
    config::UpstreamServerConfig c;
    c.url = "http://10.0.0." + std::to_string(i + 1) + ":9000";
    out.push_back({std::make_shared<UpstreamServer>(c, net::SocketAddress{}), 1, false});
  }
  return out;
}

std::shared_ptr<UpstreamServer> admit(UpstreamSlots& slots, const std::vector<RunningServer>& s,
                                      uint32_t limit) {
  bool none_usable = false;
  return slots.try_admit(s, ChoiceContext{limit}, none_usable);
}

}  // namespace

TEST_CASE("slots are taken up to the limit of each server without queueing") {
  UpstreamSlots slots;
  auto one = servers(1);
  CHECK(admit(slots, one, 2));
  CHECK(admit(slots, one, 2));
  CHECK_FALSE(admit(slots, one, 2));
  CHECK(one[0].server->in_flight == 2);
  // Two servers: twice as many.
  auto two = servers(2);
  for (int i = 0; i < 4; ++i) CHECK(admit(slots, two, 2));
  CHECK_FALSE(admit(slots, two, 2));
  CHECK(two[0].server->in_flight == 2);
  CHECK(two[1].server->in_flight == 2);
}

TEST_CASE("without a limit every request gets a slot, and is still counted") {
  UpstreamSlots slots;
  auto one = servers(1);
  for (int i = 0; i < 100; ++i) REQUIRE(admit(slots, one, 0));
  CHECK(one[0].server->in_flight == 100);
}

TEST_CASE("over the limit requests queue up to the queue size, then are refused") {
  UpstreamSlots slots;
  auto one = servers(1);
  std::shared_ptr<UpstreamServer> granted;
  REQUIRE(admit(slots, one, 1));
  CHECK(slots.enqueue(one, ChoiceContext{1}, 2, waiter(1), granted) == Admission::Queued);
  CHECK(slots.enqueue(one, ChoiceContext{1}, 2, waiter(2), granted) == Admission::Queued);
  CHECK(slots.enqueue(one, ChoiceContext{1}, 2, waiter(3), granted) == Admission::QueueFull);
  CHECK(slots.waiting() == 2);
  // With a queue of 0 nothing waits.
  UpstreamSlots none;
  auto other = servers(1);
  REQUIRE(admit(none, other, 1));
  CHECK(none.enqueue(other, ChoiceContext{1}, 0, waiter(1), granted) == Admission::QueueFull);
}

TEST_CASE("a released slot goes to the longest waiting request, which keeps it") {
  UpstreamSlots slots;
  auto one = servers(1);
  std::shared_ptr<UpstreamServer> granted;
  std::shared_ptr<UpstreamServer> s = admit(slots, one, 1);
  REQUIRE(s);
  REQUIRE(slots.enqueue(one, ChoiceContext{1}, 10, waiter(1), granted) == Admission::Queued);
  REQUIRE(slots.enqueue(one, ChoiceContext{1}, 10, waiter(2), granted) == Admission::Queued);
  std::vector<UpstreamSlots::Grant> g = slots.release(*s, one, ChoiceContext{1});
  REQUIRE(g.size() == 1);
  CHECK(g[0].waiter.id == 1);
  CHECK(g[0].server == s);
  CHECK(s->in_flight == 1);  // handed over, not freed
  CHECK(slots.waiting() == 1);
  g = slots.release(*s, one, ChoiceContext{1});
  REQUIRE(g.size() == 1);
  CHECK(g[0].waiter.id == 2);
  CHECK(slots.release(*s, one, ChoiceContext{1}).empty());
  CHECK(s->in_flight == 0);
}

TEST_CASE("a newcomer does not overtake a queued request") {
  UpstreamSlots slots;
  auto one = servers(1);
  std::shared_ptr<UpstreamServer> granted;
  REQUIRE(admit(slots, one, 1));
  REQUIRE(slots.enqueue(one, ChoiceContext{1}, 10, waiter(1), granted) == Admission::Queued);
  CHECK_FALSE(admit(slots, one, 2));  // a slot is free under a higher limit, but one waits
  CHECK(slots.enqueue(one, ChoiceContext{2}, 10, waiter(2), granted) == Admission::Queued);
}

TEST_CASE("a withdrawn waiter is never granted, withdrawing after the grant says so") {
  UpstreamSlots slots;
  auto one = servers(1);
  std::shared_ptr<UpstreamServer> granted;
  std::shared_ptr<UpstreamServer> s = admit(slots, one, 1);
  REQUIRE(slots.enqueue(one, ChoiceContext{1}, 10, waiter(1), granted) == Admission::Queued);
  REQUIRE(slots.enqueue(one, ChoiceContext{1}, 10, waiter(2), granted) == Admission::Queued);
  CHECK(slots.withdraw(waiter(1)));
  std::vector<UpstreamSlots::Grant> g = slots.release(*s, one, ChoiceContext{1});
  REQUIRE(g.size() == 1);
  CHECK(g[0].waiter.id == 2);
  CHECK_FALSE(slots.withdraw(waiter(2)));  // granted already
}

TEST_CASE("waiters left queued while no server was usable are granted when one is back, "
          "without any slot being released") {
  UpstreamSlots slots;
  auto one = servers(1);
  std::shared_ptr<UpstreamServer> granted;
  std::shared_ptr<UpstreamServer> s = admit(slots, one, 1);
  REQUIRE(slots.enqueue(one, ChoiceContext{1}, 10, waiter(1), granted) == Admission::Queued);
  REQUIRE(slots.enqueue(one, ChoiceContext{1}, 10, waiter(2), granted) == Admission::Queued);
  // The server goes down; the request in flight ends and its slot finds nobody to take it.
  s->probe_up = false;
  CHECK(slots.release(*s, one, ChoiceContext{1}).empty());
  CHECK(slots.serve_waiting(one, ChoiceContext{1}).empty());
  CHECK(slots.waiting() == 2);
  CHECK(s->in_flight == 0);
  // Back up: the longest waiter gets the one slot, the other keeps its place.
  s->probe_up = true;
  std::vector<UpstreamSlots::Grant> g = slots.serve_waiting(one, ChoiceContext{1});
  REQUIRE(g.size() == 1);
  CHECK(g[0].waiter.id == 1);
  CHECK(g[0].server == s);
  CHECK(s->in_flight == 1);
  CHECK(slots.waiting() == 1);
  // More room (a reload raised the limit) serves the rest the same way.
  g = slots.serve_waiting(one, ChoiceContext{2});
  REQUIRE(g.size() == 1);
  CHECK(g[0].waiter.id == 2);
  CHECK(slots.waiting() == 0);
  CHECK(slots.serve_waiting(one, ChoiceContext{2}).empty());
}

TEST_CASE("a server a reload removed takes no new request: its freed slot goes to a waiter "
          "on a server still listed, never to one on it") {
  UpstreamSlots slots;
  auto two = servers(2);
  std::shared_ptr<UpstreamServer> granted;
  std::shared_ptr<UpstreamServer> first = admit(slots, two, 1);
  std::shared_ptr<UpstreamServer> second = admit(slots, two, 1);
  REQUIRE(first == two[0].server);
  REQUIRE(second == two[1].server);
  REQUIRE(slots.enqueue(two, ChoiceContext{1}, 10, waiter(1), granted) == Admission::Queued);
  first->removed = true;
  // Its request ends: the waiter does not get its slot, the server listed is still full.
  CHECK(slots.release(*first, two, ChoiceContext{1}).empty());
  CHECK(first->in_flight == 0);
  CHECK(slots.waiting() == 1);
  std::vector<UpstreamSlots::Grant> g = slots.release(*second, two, ChoiceContext{1});
  REQUIRE(g.size() == 1);
  CHECK(g[0].server == second);
  CHECK(slots.release(*second, two, ChoiceContext{1}).empty());
  // A newcomer under the old list goes to the server still listed, or nowhere.
  CHECK(admit(slots, two, 1) == second);
  CHECK_FALSE(admit(slots, two, 1));
  CHECK(first->in_flight == 0);
}

TEST_CASE("under contention from several threads every queued request is granted in the end "
          "and no server's count passes the limit") {
  UpstreamSlots slots;
  auto two = servers(2);
  constexpr uint32_t kLimit = 2;
  constexpr int kThreads = 4;
  constexpr int kRounds = 5000;
  std::atomic<uint64_t> next_id{1};
  std::atomic<int> queued{0};
  std::atomic<int> granted_later{0};
  std::atomic<bool> over_limit{false};
  // A holder's turn: check the counts, give the slot back, and serve (here, at once) the
  // waiters the release handed a slot to, as their workers would.
  auto hold_then_release = [&](std::shared_ptr<UpstreamServer> first) {
    std::vector<std::shared_ptr<UpstreamServer>> turns{std::move(first)};
    while (!turns.empty()) {
      std::shared_ptr<UpstreamServer> s = std::move(turns.back());
      turns.pop_back();
      for (const RunningServer& r : two) {
        if (r.server->in_flight > kLimit) over_limit = true;
      }
      for (UpstreamSlots::Grant& g : slots.release(*s, two, ChoiceContext{kLimit})) {
        turns.push_back(std::move(g.server));
        granted_later++;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        if (std::shared_ptr<UpstreamServer> s = admit(slots, two, kLimit)) {
          hold_then_release(std::move(s));
          continue;
        }
        std::shared_ptr<UpstreamServer> granted;
        switch (slots.enqueue(two, ChoiceContext{kLimit}, 1'000'000, waiter(next_id++), granted)) {
          case Admission::Granted: hold_then_release(std::move(granted)); break;
          case Admission::Queued: queued++; break;
          case Admission::QueueFull:
          case Admission::NoneUsable: break;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK_FALSE(over_limit.load());
  CHECK(slots.waiting() == 0);
  CHECK(two[0].server->in_flight == 0);
  CHECK(two[1].server->in_flight == 0);
  CHECK(granted_later.load() == queued.load());
}

}  // namespace etagd::proxy
