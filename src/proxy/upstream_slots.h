// Slots for requests in flight to the origin (upstream.max_connections), counted for the whole
// process, and the FIFO of exchanges waiting for one (upstream.queue).
//
// The count is one atomic shared by every worker: a request that finds a slot free takes it
// with a compare-and-swap and no lock, and a release is one atomic decrement. Only when the
// limit is reached does anyone take the queue's mutex: to wait, or, on release, to hand the
// freed slot to the request that has waited longest. Cache hits never come here.
//
// One queue for the whole process, not one per worker: a slot freed on any worker goes to the
// oldest waiter on any worker (first come, first served across the process), and a worker
// whose requests are slow cannot hold waiters of the others back. A waiter is named by its
// worker and an id in that worker's registry; a grant is posted to that worker's mailbox,
// and a grant that finds its exchange gone is released again at once (Worker::grant_slot).
//
// The order of operations makes a lost wake-up impossible: a waiter counts itself in
// `waiting_` before its last try, and a release gives its slot back before it looks at
// `waiting_` (both sequentially consistent), so either the waiter's try sees the free slot or
// the release sees the waiter and serves the queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace etagd::proxy {

class Worker;

class UpstreamSlots {
 public:
  struct Waiter {
    Worker* worker = nullptr;
    uint64_t id = 0;
    bool operator==(const Waiter&) const = default;
  };
  enum class Admission { Granted, Queued, QueueFull };

  // A slot now if one is free and nobody waits for it: one compare-and-swap, no lock.
  bool try_admit(uint32_t limit);
  // After try_admit failed: a slot after all, or a place in the queue (up to `queue_size`
  // waiters), or neither.
  Admission enqueue(uint32_t limit, uint32_t queue_size, Waiter waiter);
  // Leaves the queue (timed out, or the client went away). False when the waiter was not
  // queued any more: its slot has been granted and the grant is on its way.
  bool withdraw(Waiter waiter);
  // Gives a slot back; returns the waiters that now hold one, in queue order, for the caller
  // to wake. Empty (and no lock taken) while nobody waits.
  std::vector<Waiter> release(uint32_t limit);

  uint32_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  uint32_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

 private:
  bool try_take(uint32_t limit);
  std::vector<Waiter> serve_queue(uint32_t limit);

  std::atomic<uint32_t> in_flight_{0};
  std::atomic<uint32_t> waiting_{0};  // queue_.size(), readable without the lock
  std::mutex mu_;
  std::deque<Waiter> queue_;
};

}  // namespace etagd::proxy
