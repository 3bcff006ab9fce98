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
//
// The prober also wakes the requests queued for an upstream slot (upstream_slots.h) when a
// server becomes usable without any slot being freed: at once when a probe brings one back,
// and after every round (an ejection that ended, a reload that added a server or room), so
// a queued request waits at most about one interval (200 ms with the check off) past the
// moment a server can take it. One thread does it for every worker: the grants go to each
// waiter's own worker through its mailbox.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "config/config.h"
#include "proxy/running_config.h"
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
  // Dispatches the requests waiting for a slot to the servers of `rc` that have room now.
  void serve_waiters(const RunningConfig& rc);
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

// One probe: ok on a 2xx/3xx status line within `timeout`, else an error saying what went
// wrong (for the log line that takes the server down).
base::Status probe_server(const UpstreamServer& server, const config::HealthCheckConfig& check);

}  // namespace etagd::proxy
