// Active health checks (upstream.health_check): one thread for the whole process probes every
// server of the running config with `GET <path>`, so the origin gets one probe per interval
// and server, not one per worker, and every worker sees the same verdict (the server's
// probe_up flag, server_health.h). A probe passes on a 2xx or 3xx status line within the
// timeout; anything else (refused, reset, timeout, 5xx, garbage) fails it.
//
// The probes are plain blocking sockets bounded by poll() timeouts, one server after the
// other: a thread of its own never holds up a worker's loop, and a round lasts at most
// servers x timeout. With the check off (or switched off by a reload) every server counts as
// up again: a check that no longer runs must not keep one out.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "proxy/upstream_server.h"

namespace etagd::proxy {

class SharedState;

class HealthProbes {
 public:
  explicit HealthProbes(SharedState& shared);
  ~HealthProbes();  // stops and joins the thread
  HealthProbes(const HealthProbes&) = delete;
  HealthProbes& operator=(const HealthProbes&) = delete;

 private:
  void run();
  // Sleeps up to `ms`; false when asked to stop.
  bool pause(int64_t ms);

  SharedState& shared_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  // Equal results in a row per server (positive: passes), kept while the server is listed.
  std::map<std::shared_ptr<UpstreamServer>, int> streaks_;
  std::thread thread_;
};

// One probe: true on a 2xx/3xx status line within `timeout`; `why` says what went wrong.
bool probe_server(const UpstreamServer& server, const config::HealthCheckConfig& check,
                  std::string& why);

}  // namespace etagd::proxy
