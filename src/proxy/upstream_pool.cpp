#include "proxy/upstream_pool.h"

#include <algorithm>

#include "net/tcp_transport.h"
#include "net/tls_transport.h"
#include "proxy/worker.h"

namespace etagd::proxy {

UpstreamPool::UpstreamPool(Worker& worker) : worker_(worker) {}

UpstreamPool::~UpstreamPool() = default;

const config::Config& UpstreamPool::config() const { return *worker_.running()->config; }

UpstreamPool::IdleList* UpstreamPool::idle_list(const UpstreamServer& server) {
  for (IdleList& l : idle_) {
    if (l.server.get() == &server) return &l;
  }
  return nullptr;
}

void UpstreamPool::forget_removed_servers() {
  const RunningConfig& rc = *worker_.running();
  if (rc.generation == generation_) return;
  generation_ = rc.generation;
  for (auto it = idle_.begin(); it != idle_.end();) {
    bool listed = std::any_of(rc.servers.begin(), rc.servers.end(),
                              [&](const RunningServer& s) { return s.server == it->server; });
    if (listed) {
      ++it;
      continue;
    }
    for (auto& c : it->connections) {
      c->detach();
      worker_.retire(std::move(c));
    }
    it = idle_.erase(it);
  }
}

UpstreamPool::IdleList* UpstreamPool::listed_idle_list(const UpstreamServer& server) {
  if (IdleList* l = idle_list(server)) return l;
  const std::vector<RunningServer>& servers = worker_.running()->servers;
  auto listed = std::find_if(servers.begin(), servers.end(),
                             [&](const RunningServer& s) { return s.server.get() == &server; });
  if (listed == servers.end()) return nullptr;
  idle_.push_back(IdleList{listed->server, {}, nullptr, nullptr});
  return &idle_.back();
}

base::Status UpstreamPool::acquire(const UpstreamServer& server, bool fresh,
                                   std::unique_ptr<UpstreamConnection>& out) {
  forget_removed_servers();
  IdleList* idle = server.https ? listed_idle_list(server) : idle_list(server);
  const RunningConfig& rc = *worker_.running();
  if (idle && server.https && idle->tls != rc.upstream_tls) {
    for (auto& c : idle->connections) {
      c->detach();
      worker_.retire(std::move(c));
    }
    idle->connections.clear();
    idle->tls = rc.upstream_tls;
    idle->sessions = std::make_shared<net::TlsSessionCache>();
  }
  if (!fresh && idle && !idle->connections.empty()) {
    out = std::move(idle->connections.back());
    idle->connections.pop_back();
    return base::Status::ok();
  }
  if (server.https) {
    const std::string& tls_name = rc.config->upstream.tls.server_name;
    std::unique_ptr<net::TlsTransport> transport;
    base::Status s = net::TlsTransport::connect(
        worker_.base(), server.address, rc.upstream_tls, tls_name.empty() ? server.host : tls_name,
        idle ? idle->sessions : nullptr, transport);
    if (!s) return s;
    const net::TlsTransport* tls = transport.get();
    out = std::make_unique<UpstreamConnection>(*this, std::move(transport), /*connecting=*/true,
                                               tls);
    return base::Status::ok();
  }
  std::unique_ptr<net::TcpTransport> transport;
  base::Status s = net::TcpTransport::connect(worker_.base(), server.address, transport);
  if (!s) return s;
  out = std::make_unique<UpstreamConnection>(*this, std::move(transport), /*connecting=*/true);
  return base::Status::ok();
}

void UpstreamPool::release(const UpstreamServer& server, std::unique_ptr<UpstreamConnection> conn) {
  if (!conn) return;
  forget_removed_servers();
  uint32_t max_idle = config().upstream.max_idle;
  const std::vector<RunningServer>& servers = worker_.running()->servers;
  auto listed = std::find_if(servers.begin(), servers.end(),
                             [&](const RunningServer& s) { return s.server.get() == &server; });
  if (!conn->reusable() || worker_.draining() || max_idle == 0 || listed == servers.end()) {
    worker_.retire(std::move(conn));
    return;
  }
  IdleList* list = idle_list(server);
  if (list == nullptr) {
    idle_.push_back(IdleList{listed->server, {}, nullptr, nullptr});
    list = &idle_.back();
  }
  std::vector<std::unique_ptr<UpstreamConnection>>& idle = list->connections;
  if (idle.size() >= max_idle) {
    // Keep the warmest connections: drop the oldest idle one.
    worker_.retire(std::move(idle.front()));
    idle.erase(idle.begin());
  }
  conn->park();
  idle.push_back(std::move(conn));
}

void UpstreamPool::drop_idle(UpstreamConnection* conn) {
  for (IdleList& l : idle_) {
    auto it = std::find_if(l.connections.begin(), l.connections.end(),
                           [conn](const std::unique_ptr<UpstreamConnection>& c) { return c.get() == conn; });
    if (it == l.connections.end()) continue;
    (*it)->detach();
    worker_.retire(std::move(*it));
    l.connections.erase(it);
    return;
  }
}

void UpstreamPool::close_idle() {
  for (IdleList& l : idle_) {
    for (auto& c : l.connections) {
      c->detach();
      worker_.retire(std::move(c));
    }
  }
  idle_.clear();
}

}  // namespace etagd::proxy
