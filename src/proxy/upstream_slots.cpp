#include "proxy/upstream_slots.h"

#include <algorithm>

#include "base/invariant.h"

namespace etagd::proxy {

bool UpstreamSlots::try_take(uint32_t limit) {
  uint32_t n = in_flight_.load(std::memory_order_seq_cst);
  do {
    if (n >= limit) return false;
  } while (!in_flight_.compare_exchange_weak(n, n + 1, std::memory_order_seq_cst));
  return true;
}

bool UpstreamSlots::try_admit(uint32_t limit) {
  // With waiters, a newcomer must not overtake them: it goes through the queue.
  return waiting_.load(std::memory_order_seq_cst) == 0 && try_take(limit);
}

UpstreamSlots::Admission UpstreamSlots::enqueue(uint32_t limit, uint32_t queue_size,
                                                Waiter waiter) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_.fetch_add(1, std::memory_order_seq_cst);
  if (queue_.empty() && try_take(limit)) {
    waiting_.fetch_sub(1, std::memory_order_seq_cst);
    return Admission::Granted;
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

std::vector<UpstreamSlots::Waiter> UpstreamSlots::release(uint32_t limit) {
  uint32_t before = in_flight_.fetch_sub(1, std::memory_order_seq_cst);
  ETAGD_ASSERT(before > 0, "a slot is released only by its holder");
  if (waiting_.load(std::memory_order_seq_cst) == 0) return {};
  return serve_queue(limit);
}

std::vector<UpstreamSlots::Waiter> UpstreamSlots::serve_queue(uint32_t limit) {
  std::vector<Waiter> granted;
  std::lock_guard<std::mutex> lock(mu_);
  while (!queue_.empty() && try_take(limit)) {
    granted.push_back(queue_.front());
    queue_.pop_front();
    waiting_.fetch_sub(1, std::memory_order_seq_cst);
  }
  return granted;
}

}  // namespace etagd::proxy
