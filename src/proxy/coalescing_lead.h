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
  ~CoalescingLead() { release(); }
  CoalescingLead(const CoalescingLead&) = delete;
  CoalescingLead& operator=(const CoalescingLead&) = delete;

  void hold(cache::Coalescer& coalescer, std::string key) {
    release();
    coalescer_ = &coalescer;
    key_ = std::move(key);
  }
  // Wakes the waiters (they look the cache up again).
  void release() {
    if (coalescer_ == nullptr) return;
    std::exchange(coalescer_, nullptr)->finish(key_);
  }
  bool held() const { return coalescer_ != nullptr; }

 private:
  cache::Coalescer* coalescer_ = nullptr;
  std::string key_;
};

}  // namespace etagd::proxy
