// Fleet mode: this instance's end of the fleet-wide invalidation channel (Redis pub/sub).
//
//        worker threads                       fleet thread (own event_base)
//   invalidate locally, then ──push──► Outbox ──eventfd──► PUBLISH ───────► Redis
//   publish_url / _prefix               (bounded)                            │
//                                                                            ▼
//   HitGate ◄── subscribed_ ◄─────── SUBSCRIBE, heartbeat check ◄──── other instances'
//   (one atomic load per hit)       apply: invalidate_url / _prefix        messages
//
// Workers never wait for Redis: publishing is a bounded queue push; everything that touches
// a socket runs on the fleet thread. A received invalidation costs what a local one costs.
//
// Losing the channel is safe (hit_gate.h): while not subscribed, hits older than
// fleet.max_staleness are revalidated upstream; when a subscription is (re)established the
// whole cache is marked stale first (CacheStore::mark_all_stale), because pub/sub keeps
// nothing for a subscriber that was away. Reconnects back off from reconnect_min to
// reconnect_max, forever while etagd runs; each attempt is bounded by connect_timeout.
//
// A connection can die silently (a hung Redis, a dropped route: no FIN, no RST). Every
// heartbeat_interval the instance publishes a heartbeat and expects it back on its own
// subscription; after heartbeat_timeout without one it treats the channel as lost. That
// proves the whole path, both connections and Redis, not just one socket.
//
// Own invalidations are not lost with the connection either: they wait in the Outbox until a
// publisher connection is back. Those that cannot wait (the Outbox was full, or Redis went
// away before acknowledging them) are replaced by one `all` message, which makes the other
// instances revalidate everything: over-invalidation, never a missed one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "cache/cache_store.h"
#include "config/config.h"
#include "fleet/fleet_status.h"
#include "fleet/hit_gate.h"
#include "fleet/message.h"
#include "fleet/outbox.h"

namespace etagd::fleet {

// Internals an operator has no reason to change; tests shorten them.
struct FleetTuning {
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{3000};  // no heartbeat back for this long: lost
  std::chrono::milliseconds connect_timeout{2000};    // connect + SUBSCRIBE, per attempt
  size_t outbox_capacity = 4096;                      // messages waiting to be published
  size_t max_in_flight = 256;                         // PUBLISHes sent, not yet acknowledged
  std::chrono::milliseconds stop_flush_timeout{500};  // stop(): time to publish what is queued
};

class FleetChannel {
 public:
  FleetChannel(const config::FleetConfig& config, cache::CacheStore& cache,
               FleetTuning tuning = {});
  // Stops the fleet thread (stop()).
  ~FleetChannel();
  FleetChannel(const FleetChannel&) = delete;
  FleetChannel& operator=(const FleetChannel&) = delete;

  // Starts the fleet thread, which connects in the background: a Redis that is down delays
  // nothing. Fails only when the thread's resources cannot be created.
  base::Status start();
  // Publishes what is still queued (if Redis is reachable, within stop_flush_timeout), then
  // closes the connections and joins the thread. Idempotent.
  void stop();

  // Thread-safe, non-blocking. Call after the same local invalidation (or admin purge).
  void publish_url(std::string_view url_key);
  // An admin purge of path?query on every host (CacheStore::purge_target).
  void publish_target(std::string_view target);
  void publish_prefix(std::string_view path_prefix,
                      cache::PrefixMatch match = cache::PrefixMatch::Bytes);

  // Sample before a cache lookup (hit_gate.h). One acquire load: a plain load on x86.
  HitGate hit_gate() const { return {subscribed_.load(std::memory_order_acquire), max_staleness_}; }
  bool subscribed() const { return subscribed_.load(std::memory_order_acquire); }

  FleetStatus status() const;
  // "<instance_id>#<nonce>": what this instance's messages carry (message.h).
  const std::string& sender() const { return sender_; }

 private:
  class Loop;  // the fleet thread's state (fleet_channel.cpp)

  void publish(MessageKind kind, std::string_view value);

  const config::FleetConfig config_;
  const FleetTuning tuning_;
  cache::CacheStore& cache_;
  const std::string sender_;
  const std::chrono::seconds max_staleness_;

  Outbox outbox_;
  std::atomic<bool> subscribed_{false};
  std::atomic<bool> stopping_{false};
  // Written by the fleet thread only.
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> lost_in_flight_{0};
  std::atomic<uint64_t> gaps_{0};
  std::atomic<uint64_t> malformed_{0};

  std::unique_ptr<Loop> loop_;
  std::thread thread_;
};

}  // namespace etagd::fleet
