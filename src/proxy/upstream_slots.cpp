#include "proxy/upstream_slots.h"

#include <algorithm>
#include <limits>

#include <spdlog/spdlog.h>

#include "base/invariant.h"

namespace etagd::proxy {

namespace {

// One slot of `s` under `limit` (0: no limit, but still counted: the balancing reads it).
bool try_take(UpstreamServer& s, uint32_t limit) {
  uint32_t cap = limit == 0 ? std::numeric_limits<uint32_t>::max() : limit;
  uint32_t n = s.in_flight.load(std::memory_order_seq_cst);
  do {
    if (n >= cap) return false;
  } while (!s.in_flight.compare_exchange_weak(n, n + 1, std::memory_order_seq_cst));
  return true;
}

}  // namespace

std::shared_ptr<UpstreamServer> UpstreamSlots::take(const std::vector<RunningServer>& servers,
                                                    const ChoiceContext& choice,
                                                    bool& none_usable) {
  none_usable = false;
  // Another worker may take the chosen server's last slot between the choice and the
  // compare-and-swap, or a reload remove the server; choose again then, a bounded number of
  // times.
  for (size_t attempt = 0; attempt <= servers.size(); ++attempt) {
    ServerChoice c = choose_server(servers, choice);
    if (c.kind == ServerChoice::Kind::NoneUsable) {
      none_usable = true;
      return nullptr;
    }
    if (c.kind == ServerChoice::Kind::AllBusy) return nullptr;
    UpstreamServer& s = *c.server->server;
    if (!try_take(s, choice.limit)) continue;
    // Taken, then checked (both sequentially consistent), while a reload marks the server
    // removed and then reads its count: either the reload sees this request and drains it,
    // or this request sees the mark and gives the slot back.
    if (!s.removed.load(std::memory_order_seq_cst)) return c.server->server;
    s.in_flight.fetch_sub(1, std::memory_order_seq_cst);
  }
  return nullptr;
}

std::shared_ptr<UpstreamServer> UpstreamSlots::try_admit(const std::vector<RunningServer>& servers,
                                                         const ChoiceContext& choice,
                                                         bool& none_usable) {
  none_usable = false;
  // With waiters, a newcomer must not overtake them: it goes through the queue.
  if (choice.limit != 0 && waiting_.load(std::memory_order_seq_cst) != 0) {
    none_usable = choose_server(servers, choice).kind == ServerChoice::Kind::NoneUsable;
    return nullptr;
  }
  return take(servers, choice, none_usable);
}

UpstreamSlots::Admission UpstreamSlots::enqueue(const std::vector<RunningServer>& servers,
                                                const ChoiceContext& choice, uint32_t queue_size,
                                                Waiter waiter,
                                                std::shared_ptr<UpstreamServer>& granted) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_.fetch_add(1, std::memory_order_seq_cst);
  if (queue_.empty()) {
    bool none_usable = false;
    granted = take(servers, choice, none_usable);
    if (granted || none_usable) {
      waiting_.fetch_sub(1, std::memory_order_seq_cst);
      return granted ? Admission::Granted : Admission::NoneUsable;
    }
  }
  if (queue_.size() >= queue_size) {
    waiting_.fetch_sub(1, std::memory_order_seq_cst);
    return Admission::QueueFull;
  }
  queue_.push_back(waiter);
  ETAGD_ASSERT(queue_.size() == waiting_.load(std::memory_order_relaxed),
               "waiting_ counts the queue");
  return Admission::Queued;
}

bool UpstreamSlots::withdraw(Waiter waiter) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(queue_.begin(), queue_.end(), waiter);
  if (it == queue_.end()) return false;
  queue_.erase(it);
  waiting_.fetch_sub(1, std::memory_order_seq_cst);
  return true;
}

std::vector<UpstreamSlots::Grant> UpstreamSlots::release(UpstreamServer& server,
                                                         const std::vector<RunningServer>& servers,
                                                         const ChoiceContext& choice) {
  uint32_t before = server.in_flight.fetch_sub(1, std::memory_order_seq_cst);
  ETAGD_ASSERT(before > 0, "a slot is released only by its holder");
  if (before == 1 && server.removed.load(std::memory_order_seq_cst)) {
    spdlog::info("upstream {}: drained, its last request is done", server.url);
  }
  return serve_waiting(servers, choice);
}

std::vector<UpstreamSlots::Grant> UpstreamSlots::serve_waiting(
    const std::vector<RunningServer>& servers, const ChoiceContext& choice) {
  if (waiting_.load(std::memory_order_seq_cst) == 0) return {};
  // Waiters may go to any server, not just those a retry excluded.
  ChoiceContext any = choice;
  any.excluded = nullptr;
  return serve_queue(servers, any);
}

std::vector<UpstreamSlots::Grant> UpstreamSlots::serve_queue(
    const std::vector<RunningServer>& servers, const ChoiceContext& choice) {
  std::vector<Grant> granted;
  std::lock_guard<std::mutex> lock(mu_);
  while (!queue_.empty()) {
    bool none_usable = false;
    std::shared_ptr<UpstreamServer> s = take(servers, choice, none_usable);
    if (!s) break;
    granted.push_back({queue_.front(), std::move(s)});
    queue_.pop_front();
    waiting_.fetch_sub(1, std::memory_order_seq_cst);
  }
  return granted;
}

}  // namespace etagd::proxy
