// Prometheus metrics. Each worker writes only its own WorkerMetrics (single writer: a relaxed
// load and store per counter, no locked instruction on the hot path); a scrape of /metrics
// sums every worker's counters and adds the cache's and the process's gauges.
//
// Exposition format: Prometheus text format 0.0.4, every family with # HELP and # TYPE, names
// prefixed etagd_, except the process_* families, which have the names and types every
// Prometheus client library gives them (process_resident_memory_bytes...), so the usual
// dashboards and alerts work unchanged. The request matrix (method x status class x cache
// status) and the request duration histogram show only the series that moved, so a scrape
// stays small.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_store.h"
#include "ops/client_error.h"
#include "ops/exchange_record.h"
#include "ops/http2_goaway_reason.h"
#include "ops/http2_start.h"
#include "ops/shared_latency_histogram.h"
#include "ops/tls_handshake_result.h"
#include "ops/upstream_error.h"

namespace etagd::ops {

// Upper bounds (seconds) of the client-side request duration histogram, from the head
// received to the whole answer queued: hits take tens of microseconds, so it starts lower.
inline constexpr std::array<double, 16> kDurationBucketsSeconds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};

// One worker's counters. Only the owning worker thread may call the record_* methods;
// Metrics::render reads them from any thread.
class WorkerMetrics {
 public:
  WorkerMetrics();
  ~WorkerMetrics();
  WorkerMetrics(const WorkerMetrics&) = delete;
  WorkerMetrics& operator=(const WorkerMetrics&) = delete;

  // One answered request: counts it by method, status class and cache status, adds its
  // bytes sent and, for a local 304, the body bytes it saved, and observes its total time
  // (when known) in the duration histogram of its cache status.
  void record_exchange(const ExchangeRecord& r);
  // A request refused before an exchange answered it (client_error.h); report_refusal also
  // records it as an exchange.
  void record_client_error(ClientErrorReason reason);
  // One upstream request that got a complete response (any status); latency from request
  // sent to response end. Failed requests go to record_upstream_error instead.
  void record_upstream_request(int64_t latency_us);
  void record_upstream_error(UpstreamError error);
  // One TLS handshake with an https upstream, successful (full or resumed) or not.
  void record_upstream_tls_handshake(TlsHandshakeResult result);
  // A request that waited for another request's upstream fetch of the same key.
  void record_coalesced_wait();
  // A request the origin could not be asked for: `queue_full`, queue timeout, or no server up.
  enum class Unavailable { QueueFull, QueueTimeout, NoServer };
  void record_upstream_unavailable(Unavailable why);
  // A client connection answered 503 and closed at once: limits.max_connections was reached.
  void record_connection_refused();
  // One client's TLS handshake with a TLS listener, successful (full or resumed) or not.
  void record_client_tls_handshake(ClientTlsHandshakeResult result);
  // HTTP/2 client connections: one started, a stream opened by a request's HEADERS, one the
  // client reset (RST_STREAM), a stream gone (answered, reset or its connection closed) and
  // a GOAWAY sent, by why.
  void record_http2_connection(Http2Start how);
  void record_http2_stream_opened();
  void record_http2_stream_reset();
  void record_http2_streams_closed(uint64_t n = 1);
  void record_http2_goaway(Http2GoawayReason reason);

 private:
  friend class Metrics;
  struct Counters;
  std::unique_ptr<Counters> counters_;
};

// Process-wide values the scrape shows next to the counters, gathered when /metrics is
// scraped: by main's gauges callback (draining, workers, fleet), except the two the admin API
// fills in itself (cache_max_bytes from the store, log_messages_dropped from log_output.h).
// One upstream server as /metrics shows it.
struct UpstreamServerGauges {
  std::string url;
  bool up = true;        // by its health checks
  bool ejected = false;  // by the passive checks
  bool draining = false;  // removed by a reload, requests still in flight on it
  uint64_t in_flight = 0;
  uint64_t probes_passed = 0;
  uint64_t probes_failed = 0;
  uint64_t ejections = 0;
  uint64_t retries = 0;
  // How long the requests given a slot here had waited in the upstream queue.
  LatencyHistogramCounts queue_wait;
  // The last real request here failed this long ago, and none has been answered since; -1
  // when the last one was answered. For /healthz.
  int64_t failed_ms_ago = -1;
  UpstreamError failure = UpstreamError::ConnectFailed;
};

struct ProcessGauges {
  bool draining = false;
  unsigned workers = 0;               // 0: Metrics' own worker count
  uint64_t cache_max_bytes = 0;       // configured budget; omitted when 0
  uint64_t log_messages_dropped = 0;  // log lines lost to a full async queue
  uint64_t client_connections = 0;    // open client connections, every worker
  // etagd_build_info's labels; the family is omitted while version is empty.
  std::string_view version;
  std::string_view commit;
  // Fleet mode; all zero when off.
  bool fleet_enabled = false;
  bool fleet_connected = false;
  uint64_t fleet_messages_sent = 0;
  uint64_t fleet_messages_applied = 0;
  uint64_t fleet_messages_dropped = 0;
  uint64_t fleet_gaps = 0;
  // The servers of the running config, those a reload removed that still have requests in
  // flight, and the requests waiting for a slot.
  std::vector<UpstreamServerGauges> upstream_servers;
  // Whether anything judges the servers (upstream.health_check or upstream.passive); without
  // either, "up" only means etagd sends them requests.
  bool upstream_checked = true;
  uint64_t upstream_queue_waiting = 0;
};

class Metrics {
 public:
  explicit Metrics(unsigned workers);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
  WorkerMetrics& worker(unsigned index) { return *workers_.at(index); }

  // A SIGHUP reload finished; `ok` false when the new config was rejected. Main thread only.
  void record_reload(bool ok);
  uint64_t reloads() const { return reloads_.load(std::memory_order_relaxed); }
  uint64_t reload_failures() const { return reload_failures_.load(std::memory_order_relaxed); }

  // The whole exposition (Prometheus text format 0.0.4). Thread-safe.
  std::string render(const cache::CacheStats& cache, const ProcessGauges& process) const;

 private:
  std::vector<std::unique_ptr<WorkerMetrics>> workers_;
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> reload_failures_{0};
  int64_t start_unix_seconds_;
};

// The Content-Type of render()'s output.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace etagd::ops
