// The admin listener (config admin.listen, default 127.0.0.1:9091): its own socket, thread and
// event_base, never the public listener, so a scrape or a purge cannot be reached from the
// traffic etagd proxies and never competes with a worker's loop. One request per connection
// (Connection: close); heads are checked by http::HeadScanner like the public side's.
// What each path answers is admin_api.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "config/config.h"
#include "ops/admin_api.h"

namespace etagd::ops {

class AdminServer {
 public:
  AdminServer(AdminDeps deps, config::ListenAddress listen);
  ~AdminServer();  // stop()s
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and listens (port 0 picks a free port), then starts the thread. Fails naming the
  // address when the socket cannot be bound (port taken, bad address).
  base::Status start();
  // Closes the listener and every admin connection, and joins the thread. Idempotent.
  void stop();

  uint16_t port() const;  // the bound port, after start()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace etagd::ops
