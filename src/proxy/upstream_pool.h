// Each worker's keep-alive pool of upstream connections. Connections never cross workers, so
// the pool needs no lock. Reuse is LIFO: the most recently used connection is the least likely
// to have been closed by the upstream's own idle timeout. New connections get the transport
// the upstream needs (plain TCP; TLS for an https upstream).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/socket_address.h"
#include "net/tls_session_cache.h"
#include "proxy/running_config.h"
#include "proxy/upstream_connection.h"

namespace etagd::proxy {

class Worker;

class UpstreamPool {
 public:
  explicit UpstreamPool(Worker& worker);
  ~UpstreamPool();

  // An idle connection to the current upstream if one is pooled (unless `fresh`), else a new
  // one that is connecting. Fails when the connection failed at once.
  base::Status acquire(bool fresh, std::unique_ptr<UpstreamConnection>& out);
  // Back to the pool when reusable and there is room; closed otherwise.
  void release(std::unique_ptr<UpstreamConnection> conn);
  // An idle connection the upstream closed or that timed out.
  void drop_idle(UpstreamConnection* conn);
  void close_idle();

  Worker& worker() { return worker_; }
  const config::Config& config() const;

 private:
  Worker& worker_;
  net::SocketAddress address_;  // where idle_ connections go; a reload to another upstream flushes
  // The TLS context and server name idle_ connections were made with, and the sessions they
  // resume; a reload that changes either flushes both.
  net::SharedSslCtx tls_;
  std::string server_name_;
  std::shared_ptr<net::TlsSessionCache> sessions_;
  std::vector<std::unique_ptr<UpstreamConnection>> idle_;
};

}  // namespace etagd::proxy
