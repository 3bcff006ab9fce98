// Leadership of a coalesced fetch (cache/coalescer.h): whoever holds it must end it exactly
// once, on success, on failure and when the client disappears alike, so it is an RAII token.
#pragma once

#include <string>
#include <utility>

#include "cache/coalescer.h"

namespace etagd::proxy {

class CoalescingLead {
 public:
  CoalescingLead() = default;
  // Dropped without release(): the leader never got a response, let the waiters regroup.
  ~CoalescingLead() { give_up(); }
  CoalescingLead(const CoalescingLead&) = delete;
  CoalescingLead& operator=(const CoalescingLead&) = delete;

  void hold(cache::Coalescer& coalescer, std::string key) {
    release();
    coalescer_ = &coalescer;
    key_ = std::move(key);
  }
  // Wakes the waiters (they look the cache up again; a miss sends them upstream).
  void release() { end(cache::Coalescer::WakeReason::Finished); }
  // The fetch stopped before it had a response (its client left): the waiters may coalesce
  // again behind one of them instead of all going upstream.
  void give_up() { end(cache::Coalescer::WakeReason::LeaderGaveUp); }
  bool held() const { return coalescer_ != nullptr; }

 private:
  void end(cache::Coalescer::WakeReason reason) {
    if (coalescer_ == nullptr) return;
    std::exchange(coalescer_, nullptr)->finish(key_, reason);
  }

  cache::Coalescer* coalescer_ = nullptr;
  std::string key_;
};

}  // namespace etagd::proxy
