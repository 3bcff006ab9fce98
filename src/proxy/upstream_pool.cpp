#include "proxy/upstream_pool.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "proxy/worker.h"

namespace etagd::proxy {

UpstreamPool::UpstreamPool(Worker& worker) : worker_(worker) {}

UpstreamPool::~UpstreamPool() = default;

const config::Config& UpstreamPool::config() const { return *worker_.running()->config; }

std::unique_ptr<UpstreamConnection> UpstreamPool::acquire(bool fresh, std::string& error) {
  const RunningConfig& rc = *worker_.running();
  if (!(rc.upstream == address_)) {
    close_idle();
    address_ = rc.upstream;
  }
  if (!fresh && !idle_.empty()) {
    std::unique_ptr<UpstreamConnection> c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  UniqueFd fd(socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    error = std::strerror(errno);
    return nullptr;
  }
  int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc_connect = connect(fd.get(), address_.get(), address_.length);
  if (rc_connect != 0 && errno != EINPROGRESS) {
    error = std::strerror(errno);  // refused or unreachable at once
    return nullptr;
  }
  return std::make_unique<UpstreamConnection>(*this, std::move(fd), /*connecting=*/true);
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
