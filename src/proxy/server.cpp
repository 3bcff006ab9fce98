#include "proxy/server.h"

#include <chrono>
#include <thread>

#include "proxy/listener.h"

namespace etagd::proxy {

namespace {

// `previous`: the running config, whose access log is kept if the new one names the same.
std::shared_ptr<const RunningConfig> make_running(std::shared_ptr<const config::Config> cfg,
                                                  uint64_t generation,
                                                  const RunningConfig* previous,
                                                  std::string& error) {
  auto rc = std::make_shared<RunningConfig>();
  error = resolve_address(cfg->upstream.host, cfg->upstream.port, rc->upstream);
  if (!error.empty()) return nullptr;
  const config::LogConfig& log = cfg->log;
  if (previous && previous->access_log && previous->config->log.access_log == log.access_log &&
      previous->config->log.access_format == log.access_format) {
    rc->access_log = previous->access_log;
  } else {
    rc->access_log = ops::AccessLog::open(log.access_log, log.access_format, error);
    if (!error.empty()) return nullptr;
  }
  rc->config = std::move(cfg);
  rc->generation = generation;
  return rc;
}

cache::CacheStoreOptions cache_options(const config::Config& cfg) {
  cache::CacheStoreOptions o;
  o.max_memory = cfg.cache.max_memory;
  o.shards = cfg.cache.shards;
  return o;
}

}  // namespace

unsigned effective_worker_count(uint32_t configured) {
  if (configured > 0) return configured;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Server::Server(std::shared_ptr<const config::Config> config)
    : worker_count_(effective_worker_count(config->workers)) {
  auto rc = std::make_shared<RunningConfig>();
  rc->config = config;
  rc->generation = generation_;
  shared_ = std::make_unique<SharedState>(std::move(rc), cache_options(*config), worker_count_);
}

Server::~Server() {
  stop_now();
  join();
}

bool Server::start(std::string& error) {
  std::shared_ptr<const config::Config> cfg = shared_->running_config()->config;
  auto rc = make_running(cfg, generation_, nullptr, error);
  if (!rc) return false;
  shared_->publish(rc);

  unsigned n = worker_count_;
  std::vector<std::vector<UniqueFd>> fds(n);
  for (unsigned w = 0; w < n; ++w) {
    for (const config::ListenAddress& addr : cfg->listen) {
      UniqueFd fd = open_listen_socket(addr, error);
      if (!fd.valid()) return false;
      fds[w].push_back(std::move(fd));
    }
  }
  for (unsigned w = 0; w < n; ++w) {
    workers_.push_back(std::make_unique<Worker>(w, *shared_, std::move(fds[w]),
                                                cfg->limits.max_connections));
  }
  for (auto& w : workers_) w->start();
  return true;
}

bool Server::reload(std::shared_ptr<const config::Config> config, std::string& error) {
  auto current = shared_->running_config();
  auto rc = make_running(std::move(config), generation_ + 1, current.get(), error);
  if (!rc) return false;
  ++generation_;
  shared_->publish(std::move(rc));
  return true;
}

void Server::begin_drain() {
  shared_->set_draining();
  for (auto& w : workers_) w->begin_drain();
}

bool Server::all_workers_alive(int64_t max_silence_ms) const {
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  for (const auto& w : workers_) {
    if (w->stopped() || now - w->last_heartbeat_ms() > max_silence_ms) return false;
  }
  return !workers_.empty();
}

bool Server::all_workers_stopped() const {
  for (const auto& w : workers_) {
    if (!w->stopped()) return false;
  }
  return true;
}

void Server::stop_now() {
  for (auto& w : workers_) w->stop_now();
}

void Server::join() {
  for (auto& w : workers_) w->join();
}

}  // namespace etagd::proxy
