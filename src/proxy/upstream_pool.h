// Each worker's keep-alive pool of upstream connections. Connections never cross workers, so
// the pool needs no lock. Reuse is LIFO: the most recently used connection is the least likely
// to have been closed by the upstream's own idle timeout.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proxy/running_config.h"
#include "proxy/upstream_connection.h"

namespace etagd::proxy {

class Worker;

class UpstreamPool {
 public:
  explicit UpstreamPool(Worker& worker);
  ~UpstreamPool();

  // An idle connection to the current upstream if one is pooled (unless `fresh`), else a new
  // one that is connecting. Null if the connection failed at once (`error` says why).
  std::unique_ptr<UpstreamConnection> acquire(bool fresh, std::string& error);
  // Back to the pool when reusable and there is room; closed otherwise.
  void release(std::unique_ptr<UpstreamConnection> conn);
  // An idle connection the upstream closed or that timed out.
  void drop_idle(UpstreamConnection* conn);
  void close_idle();
  size_t idle_count() const { return idle_.size(); }

  Worker& worker() { return worker_; }
  const config::Config& config() const;

 private:
  Worker& worker_;
  SocketAddress address_;  // where idle_ connections go; a reload to another upstream flushes
  std::vector<std::unique_ptr<UpstreamConnection>> idle_;
};

}  // namespace etagd::proxy
