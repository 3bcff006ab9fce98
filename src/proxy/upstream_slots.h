// Slots for requests in flight to the origin servers (upstream.max_connections, per server,
// counted for the whole process), and the FIFO of exchanges waiting for one (upstream.queue).
//
// Each server's count is one atomic shared by every worker (UpstreamServer::in_flight): a
// request that finds a slot free takes it with a compare-and-swap and no lock, and a release
// is one atomic decrement. Only when every usable server is at the limit does anyone take the
// queue's mutex: to wait, or, on release, to hand the freed slot to the request that has
// waited longest. Cache hits never come here.
//
// One queue for the whole process and all servers, not one per worker or per server: a slot
// freed on any worker, on any server, goes to the oldest waiter anywhere (first come, first
// served), a worker whose requests are slow cannot hold the others' waiters back, and a
// request never waits behind a slow or dead server while another has room (HAProxy keeps a
// backend queue for the same reason). A waiter is named by its worker and an id in that
// worker's registry; a grant is posted to that worker's mailbox, and a grant that finds its
// exchange gone is released again at once (Worker::grant_upstream_slot).
//
// The order of operations makes a lost wake-up impossible: a waiter counts itself in
// `waiting_` before its last try, and a release gives its slot back before it looks at
// `waiting_` (both sequentially consistent), so either the waiter's try sees the free slot or
// the release sees the waiter and serves the queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "proxy/server_choice.h"
#include "proxy/upstream_server.h"

namespace etagd::proxy {

class Worker;

class UpstreamSlots {
 public:
  struct Waiter {
    Worker* worker = nullptr;
    uint64_t id = 0;
    bool operator==(const Waiter&) const = default;
  };
  struct Grant {
    Waiter waiter;
    std::shared_ptr<UpstreamServer> server;  // whose slot the waiter now holds
  };
  enum class Admission { Granted, Queued, QueueFull, NoneUsable };

  // A slot on the best server now, if one is free and nobody waits for one: a
  // compare-and-swap, no lock. Null otherwise; `none_usable` tells that no server may be
  // used at all (as opposed to every one being busy).
  std::shared_ptr<UpstreamServer> try_admit(const std::vector<RunningServer>& servers,
                                            const ChoiceContext& choice, bool& none_usable);
  // After try_admit found every server busy: a slot after all (into `granted`), or a place in
  // the queue (up to `queue_size` waiters), or neither.
  Admission enqueue(const std::vector<RunningServer>& servers, const ChoiceContext& choice,
                    uint32_t queue_size, Waiter waiter, std::shared_ptr<UpstreamServer>& granted);
  // Leaves the queue (timed out, or the client went away). False when the waiter was not
  // queued any more: its slot has been granted and the grant is on its way.
  bool withdraw(Waiter waiter);
  // Gives `server`'s slot back; returns the waiters that now hold one, in queue order, for
  // the caller to wake. Empty (and no lock taken) while nobody waits.
  std::vector<Grant> release(UpstreamServer& server, const std::vector<RunningServer>& servers,
                             const ChoiceContext& choice);
  // Hands free slots to waiters without a release: for when a server became usable again
  // (a health check brought it back, an ejection ended, a reload added room). Waiters queued
  // while every server was down or full would otherwise wait for a slot that is never freed:
  // nothing is in flight to free one. Same result and contract as release(); no lock taken
  // while nobody waits.
  std::vector<Grant> serve_waiting(const std::vector<RunningServer>& servers,
                                   const ChoiceContext& choice);

  uint32_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

 private:
  // Chooses and takes a slot; null when every usable server is at the limit.
  std::shared_ptr<UpstreamServer> take(const std::vector<RunningServer>& servers,
                                       const ChoiceContext& choice, bool& none_usable);
  std::vector<Grant> serve_queue(const std::vector<RunningServer>& servers,
                                 const ChoiceContext& choice);

  std::atomic<uint32_t> waiting_{0};  // queue_.size(), readable without the lock
  std::mutex mu_;
  std::deque<Waiter> queue_;
};

}  // namespace etagd::proxy
