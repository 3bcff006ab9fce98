#include "proxy/upstream_pool.h"

#include <algorithm>

#include "net/tcp_transport.h"
#include "net/tls_transport.h"
#include "proxy/worker.h"

namespace etagd::proxy {

UpstreamPool::UpstreamPool(Worker& worker) : worker_(worker) {}

UpstreamPool::~UpstreamPool() = default;

const config::Config& UpstreamPool::config() const { return *worker_.running()->config; }

base::Status UpstreamPool::acquire(bool fresh, std::unique_ptr<UpstreamConnection>& out) {
  const RunningConfig& rc = *worker_.running();
  const config::UpstreamConfig& upstream = rc.config->upstream;
  const std::string& server_name = upstream.tls.server_name.empty() ? upstream.host
                                                                    : upstream.tls.server_name;
  if (!(rc.upstream == address_) || rc.upstream_tls != tls_ ||
      (tls_ && server_name != server_name_)) {
    close_idle();
    address_ = rc.upstream;
    tls_ = rc.upstream_tls;
    server_name_ = tls_ ? server_name : std::string();
    // A session belongs to the context (and server) it was made with.
    sessions_ = tls_ ? std::make_shared<net::TlsSessionCache>() : nullptr;
  }
  if (!fresh && !idle_.empty()) {
    out = std::move(idle_.back());
    idle_.pop_back();
    return base::Status::ok();
  }
  if (tls_) {
    std::unique_ptr<net::TlsTransport> transport;
    base::Status s = net::TlsTransport::connect(worker_.base(), address_, tls_, server_name_,
                                                sessions_, transport);
    if (!s) return s;
    const net::TlsTransport* tls = transport.get();
    out = std::make_unique<UpstreamConnection>(*this, std::move(transport), /*connecting=*/true,
                                               tls);
    return base::Status::ok();
  }
  std::unique_ptr<net::TcpTransport> transport;
  base::Status s = net::TcpTransport::connect(worker_.base(), address_, transport);
  if (!s) return s;
  out = std::make_unique<UpstreamConnection>(*this, std::move(transport), /*connecting=*/true);
  return base::Status::ok();
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> conn) {
  if (!conn) return;
  uint32_t max_idle = config().upstream.max_idle;
  if (!conn->reusable() || worker_.draining() || max_idle == 0) {
    worker_.retire(std::move(conn));
    return;
  }
  if (idle_.size() >= max_idle) {
    // Keep the warmest connections: drop the oldest idle one.
    worker_.retire(std::move(idle_.front()));
    idle_.erase(idle_.begin());
  }
  conn->park();
  idle_.push_back(std::move(conn));
}

void UpstreamPool::drop_idle(UpstreamConnection* conn) {
  auto it = std::find_if(idle_.begin(), idle_.end(),
                         [conn](const std::unique_ptr<UpstreamConnection>& c) { return c.get() == conn; });
  if (it == idle_.end()) return;
  (*it)->detach();
  worker_.retire(std::move(*it));
  idle_.erase(it);
}

void UpstreamPool::close_idle() {
  for (auto& c : idle_) {
    c->detach();
    worker_.retire(std::move(c));
  }
  idle_.clear();
}

}  // namespace etagd::proxy
