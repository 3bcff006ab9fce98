// Each worker's keep-alive pool of upstream connections, one idle list per server. Connections
// never cross workers, so the pool needs no lock. Reuse is LIFO: the most recently used
// connection is the least likely to have been closed by the upstream's own idle timeout. New
// connections get the transport their server needs (plain TCP; TLS for an https server).
// After a reload the idle connections of servers still listed stay; those of removed servers
// are closed (requests still using one finish on it, and it is closed after).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/socket_address.h"
#include "net/tls_session_cache.h"
#include "proxy/running_config.h"
#include "proxy/upstream_connection.h"
#include "proxy/upstream_server.h"

namespace etagd::proxy {

class Worker;

class UpstreamPool {
 public:
  explicit UpstreamPool(Worker& worker);
  ~UpstreamPool();

  // An idle connection to `server` if one is pooled (unless `fresh`), else a new one that is
  // connecting. Fails when the connection failed at once.
  base::Status acquire(const UpstreamServer& server, bool fresh,
                       std::unique_ptr<UpstreamConnection>& out);
  // Back to `server`'s idle list when reusable and there is room; closed otherwise.
  void release(const UpstreamServer& server, std::unique_ptr<UpstreamConnection> conn);
  // An idle connection the upstream closed or that timed out.
  void drop_idle(UpstreamConnection* conn);
  void close_idle();

  Worker& worker() { return worker_; }
  const config::Config& config() const;

 private:
  struct IdleList {
    // Owned, so that a removed server's address can never be taken by a new one while its
    // idle connections are still here.
    std::shared_ptr<const UpstreamServer> server;
    std::vector<std::unique_ptr<UpstreamConnection>> connections;
    // An https server's: the TLS context its connections and sessions were made with, and
    // the newest session to resume. A reload with another context (other trust, another
    // client certificate) closes the connections and forgets the session, since a resumed
    // session skips the certificate checks the new context would make.
    net::SharedSslCtx tls;
    std::shared_ptr<net::TlsSessionCache> sessions;
  };
  IdleList* idle_list(const UpstreamServer& server);
  // The list of a server the running config lists, made when missing; null for another.
  IdleList* listed_idle_list(const UpstreamServer& server);
  // Closes the idle connections of servers the running config no longer lists.
  void forget_removed_servers();

  Worker& worker_;
  uint64_t generation_ = 0;  // of the running config idle_ was checked against
  std::vector<IdleList> idle_;
};

}  // namespace etagd::proxy
