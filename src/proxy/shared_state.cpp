#include "proxy/shared_state.h"

namespace etagd::proxy {

SharedState::SharedState(std::shared_ptr<const RunningConfig> initial,
                         cache::CacheStoreOptions cache_options, unsigned workers)
    : cache_(cache_options),
      coalescer_(cache_options.shards),
      metrics_(workers),
      config_(std::move(initial)) {
  generation_.store(config_->generation, std::memory_order_release);
}

std::shared_ptr<const RunningConfig> SharedState::running_config() const {
  std::lock_guard<std::mutex> lock(config_mu_);
  return config_;
}

bool SharedState::admit_client_connection(uint32_t limit) {
  uint32_t n = client_connections_.load(std::memory_order_relaxed);
  do {
    if (n >= limit) return false;
  } while (!client_connections_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

void SharedState::publish(std::shared_ptr<const RunningConfig> next) {
  uint64_t gen = next->generation;
  {
    std::lock_guard<std::mutex> lock(config_mu_);
    config_ = std::move(next);
  }
  generation_.store(gen, std::memory_order_release);
}

}  // namespace etagd::proxy
