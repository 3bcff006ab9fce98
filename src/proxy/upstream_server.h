// One origin server as every worker sees it: where it is (resolved once, at load time) and
// the counts all workers share: requests in flight (least outstanding requests balances on
// it, upstream.max_connections limits it). A reload that keeps a server (same URL, same
// address) keeps this object, so its counts carry over; a removed server lives on while
// requests still use it, marked `removed` so that no choice takes it again (draining: the
// requests on it finish, no new one starts). Its weight and role are the running config's
// (RunningServer), since a reload may change them while requests run.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/socket_address.h"
#include "ops/shared_latency_histogram.h"

namespace etagd::proxy {

struct UpstreamServer {
  UpstreamServer(const config::UpstreamServerConfig& c, net::SocketAddress a)
      : url(c.url), https(c.https), host(c.host), port(c.port), base_path(c.base_path),
        authority(c.authority), address(a) {}

  const std::string url;
  const bool https;  // connections are TLS, with the running config's upstream_tls
  const std::string host;
  const uint16_t port;
  const std::string base_path;
  const std::string authority;
  const net::SocketAddress address;

  std::atomic<uint32_t> in_flight{0};  // requests sent or being sent, all workers

  // Health (server_health.h). Written by the prober, by workers whose requests failed, read
  // by every choice; relaxed: a choice a moment late is harmless.
  std::atomic<bool> probe_up{true};             // health_check: not failed `fails` times in a row
  std::atomic<int64_t> ejected_until_ms{0};     // passive: out until then (monotonic ms)
  std::atomic<int64_t> fail_window_start_ms{0};
  std::atomic<uint32_t> fails_in_window{0};
  std::atomic<int64_t> back_since_ms{0};        // slow start from here (0: up from the start)
  // No longer in upstream.servers since a reload: never chosen, not even by a request that
  // started under the old config (a retry, a queued request); a later reload may list it again.
  std::atomic<bool> removed{false};

  // What real requests last saw here, for /healthz (most of all when nothing checks the
  // server): when the last one failed, while none has been answered since (0: the last was
  // answered), and how (ops::UpstreamError). Written on a failure and on the first answer
  // after one only, so steady traffic never writes them.
  std::atomic<int64_t> failed_at_ms{0};
  std::atomic<uint8_t> failure{0};

  // Counters for /metrics.
  std::atomic<uint64_t> probes_passed{0};
  std::atomic<uint64_t> probes_failed{0};
  std::atomic<uint64_t> ejections{0};
  std::atomic<uint64_t> retries{0};  // requests that failed here and were retried elsewhere
  // How long the requests given a slot here had waited in the upstream queue (its _count is
  // how many of them waited): the queue is shared, so the server is known only at the grant.
  ops::SharedLatencyHistogram queue_wait;
};

// A server of one running config: the shared state and what this config says of it.
struct RunningServer {
  std::shared_ptr<UpstreamServer> server;
  uint32_t weight = 1;
  bool backup = false;
};

}  // namespace etagd::proxy
