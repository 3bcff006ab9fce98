#include "proxy/server.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "net/listener.h"
#include "net/tls_client_context.h"
#include "net/tls_server_contexts.h"

namespace etagd::proxy {

namespace {

// Marks the servers `previous` listed or drained that `next` does not list as removed, so
// that nothing chooses them again, and keeps those with requests in flight in next.draining.
// Called once nothing can make the reload fail: the marks take effect at once. Marking comes
// before reading the count (both sequentially consistent; UpstreamSlots::take checks in the
// other order), so a request that takes a slot at this very moment is either counted here or
// gives the slot back.
void retire_removed_servers(const RunningConfig& previous, RunningConfig& next) {
  for (const RunningServer& s : next.servers) s.server->removed.store(false, std::memory_order_seq_cst);
  std::vector<std::shared_ptr<UpstreamServer>> before = previous.draining;
  for (const RunningServer& s : previous.servers) before.push_back(s.server);
  for (const std::shared_ptr<UpstreamServer>& s : before) {
    bool listed = std::any_of(next.servers.begin(), next.servers.end(),
                              [&](const RunningServer& n) { return n.server == s; });
    if (listed) continue;
    bool newly = !s->removed.exchange(true, std::memory_order_seq_cst);
    uint32_t in_flight = s->in_flight.load(std::memory_order_seq_cst);
    if (in_flight > 0) next.draining.push_back(s);
    if (newly && in_flight > 0) {
      spdlog::info("upstream {}: removed, draining {} request(s) in flight", s->url, in_flight);
    } else if (newly) {
      spdlog::info("upstream {}: removed", s->url);
    }
  }
}

// `previous`: the running config, whose access log is kept if the new one names the same.
base::Status make_running(std::shared_ptr<const config::Config> cfg, uint64_t generation,
                          const RunningConfig* previous, const net::TlsTicketKeys& ticket_keys,
                          std::shared_ptr<const RunningConfig>& out) {
  auto rc = std::make_shared<RunningConfig>();
  for (const config::UpstreamServerConfig& sc : cfg->upstream.servers) {
    net::SocketAddress address;
    if (base::Status s = net::resolve_address(sc.host, sc.port, address); !s) return s;
    RunningServer rs;
    rs.weight = sc.weight;
    rs.backup = sc.backup;
    // A server still listed keeps its state (requests in flight, pooled connections); one
    // listed again while it drains is taken back as it is.
    if (previous) {
      for (const RunningServer& p : previous->servers) {
        if (p.server->url == sc.url && p.server->address == address) rs.server = p.server;
      }
      for (const std::shared_ptr<UpstreamServer>& d : previous->draining) {
        if (!rs.server && d->url == sc.url && d->address == address) rs.server = d;
      }
    }
    if (!rs.server) rs.server = std::make_shared<UpstreamServer>(sc, address);
    rc->servers.push_back(std::move(rs));
  }
  bool any_https = std::any_of(cfg->upstream.servers.begin(), cfg->upstream.servers.end(),
                               [](const config::UpstreamServerConfig& sc) { return sc.https; });
  if (any_https) {
    const config::UpstreamTls& tls = cfg->upstream.tls;
    net::TlsClientOptions options{tls.ca_file, tls.verify, tls.client_cert, tls.client_key};
    if (base::Status s = net::make_tls_client_context(options, rc->upstream_tls); !s) {
      return base::Status::error("upstream.tls: " + s.message());
    }
  }
  for (const config::ListenerConfig& l : cfg->listen) {
    std::shared_ptr<const net::TlsServerContexts> contexts;
    if (l.tls.enabled()) {
      net::TlsServerOptions options;
      for (const config::ListenerCertificate& c : l.tls.certificates) {
        options.certificates.push_back({c.cert, c.key});
      }
      options.tls12 = l.tls.tls12;
      options.tls13 = l.tls.tls13;
      options.h2 = l.http2;
      if (base::Status s = net::TlsServerContexts::make(options, ticket_keys, contexts); !s) {
        return base::Status::error(l.path + ".tls: " + s.message());
      }
    }
    rc->listener_tls.push_back(std::move(contexts));
  }
  const config::LogConfig& log = cfg->log;
  if (previous && previous->access_log && previous->config->log.access_log == log.access_log &&
      previous->config->log.access_format == log.access_format) {
    rc->access_log = previous->access_log;
  } else {
    std::unique_ptr<ops::AccessLog> access_log;
    if (base::Status s = ops::AccessLog::open(log.access_log, log.access_format, access_log); !s) {
      return s;
    }
    rc->access_log = std::move(access_log);
  }
  rc->config = std::move(cfg);
  rc->generation = generation;
  if (previous) retire_removed_servers(*previous, *rc);
  out = std::move(rc);
  return base::Status::ok();
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
    : worker_count_(effective_worker_count(config->workers)),
      ticket_keys_(std::make_unique<net::TlsTicketKeys>()) {
  auto rc = std::make_shared<RunningConfig>();
  rc->config = config;
  rc->generation = generation_;
  shared_ = std::make_unique<SharedState>(std::move(rc), cache_options(*config), worker_count_);
}

Server::~Server() {
  stop_now();
  join();
}

base::Status Server::start() {
  std::shared_ptr<const config::Config> cfg = shared_->running_config()->config;
  std::shared_ptr<const RunningConfig> rc;
  if (base::Status s = make_running(cfg, generation_, nullptr, *ticket_keys_, rc); !s) return s;
  shared_->publish(rc);

  unsigned n = worker_count_;
  std::vector<std::vector<ListenSocket>> sockets(n);
  for (unsigned w = 0; w < n; ++w) {
    for (size_t i = 0; i < cfg->listen.size(); ++i) {
      const config::ListenerConfig& listener = cfg->listen[i];
      const config::ListenAddress& addr = listener.address;
      ListenSocket socket;
      socket.port = addr.port;
      socket.http2 = listener.http2;
      socket.listener = i;
      if (listener.tls.enabled()) socket.scheme = "https";
      if (base::Status s = net::open_listen_socket(addr.host, addr.port, addr.text, socket.fd);
          !s) {
        return s;
      }
      sockets[w].push_back(std::move(socket));
    }
  }
  for (unsigned w = 0; w < n; ++w) {
    workers_.push_back(std::make_unique<Worker>(w, *shared_, std::move(sockets[w]),
                                                cfg->limits.max_connections));
  }
  for (auto& w : workers_) w->start();
  probes_ = std::make_unique<HealthProbes>(*shared_);
  return base::Status::ok();
}

base::Status Server::reload(std::shared_ptr<const config::Config> config) {
  auto current = shared_->running_config();
  std::shared_ptr<const RunningConfig> rc;
  if (base::Status s =
          make_running(std::move(config), generation_ + 1, current.get(), *ticket_keys_, rc);
      !s) {
    return s;
  }
  ++generation_;
  shared_->publish(std::move(rc));
  return base::Status::ok();
}

void Server::begin_drain() {
  shared_->set_draining();
  for (auto& w : workers_) w->begin_drain();
}

bool Server::all_workers_alive(int64_t max_silence_ms) const {
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    base::monotonic_now().time_since_epoch())
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
  probes_.reset();
}

}  // namespace etagd::proxy
