// Process-wide state shared by every worker: the cache, the coalescer, the current config,
// and in fleet mode the invalidation channel to the other instances.
// Workers read the config through a generation counter, so the common case (no reload since
// the last request) is one relaxed atomic load and no lock.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "cache/cache_store.h"
#include "cache/coalescer.h"
#include "fleet/fleet_channel.h"
#include "ops/metrics.h"
#include "proxy/running_config.h"
#include "proxy/upstream_slots.h"

namespace etagd::proxy {

class SharedState {
 public:
  SharedState(std::shared_ptr<const RunningConfig> initial, cache::CacheStoreOptions cache_options,
              unsigned workers);

  cache::CacheStore& cache() { return cache_; }
  cache::Coalescer& coalescer() { return coalescer_; }
  ops::Metrics& metrics() { return metrics_; }
  // Requests in flight to the origin against upstream.max_connections, and the queue.
  UpstreamSlots& upstream_slots() { return upstream_slots_; }

  // Fleet mode (fleet/fleet_channel.h); null without a `fleet:` block. Attached once by main
  // before the workers start, and stopped after them (it is destroyed before the cache).
  fleet::FleetChannel* fleet() { return fleet_.get(); }
  void attach_fleet(std::unique_ptr<fleet::FleetChannel> fleet) { fleet_ = std::move(fleet); }
  // What a cache hit may be trusted with (fleet/hit_gate.h): everything without fleet mode.
  fleet::HitGate fleet_hit_gate() const { return fleet_ ? fleet_->hit_gate() : fleet::HitGate{}; }

  uint64_t config_generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const RunningConfig> running_config() const;
  void publish(std::shared_ptr<const RunningConfig> next);

  // Client connections of the whole process against limits.max_connections. The count is
  // global so that a worker with room takes a connection while another is full; a worker
  // admits before it starts a connection and releases when the connection is gone.
  bool admit_client_connection(uint32_t limit);
  void release_client_connection() { client_connections_.fetch_sub(1, std::memory_order_relaxed); }
  uint32_t client_connections() const { return client_connections_.load(std::memory_order_relaxed); }

  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  void set_draining() { draining_.store(true, std::memory_order_relaxed); }

 private:
  cache::CacheStore cache_;
  cache::Coalescer coalescer_;
  ops::Metrics metrics_;
  UpstreamSlots upstream_slots_;
  mutable std::mutex config_mu_;
  std::shared_ptr<const RunningConfig> config_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> draining_{false};
  std::atomic<uint32_t> client_connections_{0};
  std::unique_ptr<fleet::FleetChannel> fleet_;  // after cache_: stops before the cache goes
};

}  // namespace etagd::proxy
