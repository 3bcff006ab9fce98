// Request coalescing: concurrent misses for one key make one upstream request.
// The first caller for a key becomes the leader; later callers register a wake-up and wait.
// When the leader is done (stored or not, success or failure) every waiter is woken once, on
// its own terms: the wake-up is a callback the caller provides (the proxy posts it to the
// waiter's own worker queue), so nothing here touches an event loop.
// A woken waiter looks the cache up again: a hit is served, anything else goes upstream itself
// (a response that turned out uncacheable is never handed to waiters). Waiters bound their own
// wait with a timer; a wake-up that arrives after the waiter gave up must be a no-op.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace etagd::cache {

class Coalescer {
 public:
  // Why a waiter is woken. Finished: the leader is done (the response may or may not be in the
  // cache; a miss means "go upstream yourself"). LeaderGaveUp: the leader stopped before it
  // had a response (its client left): the waiters may coalesce again behind a new leader.
  enum class WakeReason { Finished, LeaderGaveUp };
  using Wakeup = std::function<void(WakeReason)>;

  explicit Coalescer(unsigned shards = 16);  // rounded up to a power of two
  ~Coalescer();
  Coalescer(const Coalescer&) = delete;
  Coalescer& operator=(const Coalescer&) = delete;

  // True: the caller is the leader for `key` and must call finish(key) exactly once.
  // False: another request is fetching it; `wakeup` will be called once when it finishes.
  bool join(std::string_view key, Wakeup wakeup);
  // Ends the leader's fetch and calls every waiter's wakeup (outside the shard lock), on the
  // calling thread, passing `reason`. The next join(key) makes a new leader. No-op for a key
  // without a leader.
  void finish(std::string_view key, WakeReason reason = WakeReason::Finished);

  size_t in_flight() const;  // keys with a leader, for tests and metrics

 private:
  class Shard;
  Shard& shard_for(std::string_view key) const;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace etagd::cache
