#include "ops/metrics.h"

#include <fmt/format.h>

#include <chrono>

#include "cache/entry_memory.h"
#include "ops/heap_stats.h"
#include "ops/process_stats.h"

namespace etagd::ops {
namespace {

// A counter with exactly one writing thread. A plain load and store (no fetch_add) keeps the
// hot path free of locked instructions; the atomic only makes the scraper's read well-defined.
class Counter {
 public:
  void add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// A gauge with exactly one writing thread, moved up and down like Counter.
class Gauge {
 public:
  void add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void subtract(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Status classes 1xx..5xx, one slot for a status outside 100-599, and one for answers whose
// head went out but whose body the upstream failed to complete: those are neither a success
// of their status class nor an error status the client saw, so they get a class of their own.
constexpr int kStatusClasses = 7;
constexpr std::array<std::string_view, kStatusClasses> kStatusClassNames = {
    "1xx", "2xx", "3xx", "4xx", "5xx", "other", "truncated"};

int status_class(const ExchangeRecord& r) {
  if (r.truncated) return kStatusClasses - 1;
  if (r.status < 100 || r.status > 599) return kStatusClasses - 2;
  return r.status / 100 - 1;
}

constexpr int kErrorKindSlots = static_cast<int>(kUpstreamErrorCount);
constexpr int kTlsResultSlots = static_cast<int>(kTlsHandshakeResultNames.size());
constexpr int kClientTlsResultSlots = static_cast<int>(kClientTlsHandshakeResultNames.size());

constexpr int kDurationSlots = static_cast<int>(kDurationBucketsSeconds.size()) + 1;  // + +Inf
constexpr int kClientErrorSlots = static_cast<int>(kClientErrorReasons.size());
constexpr int kHttp2GoawaySlots = static_cast<int>(kHttp2GoawayReasons.size());
constexpr int kHttp2StartSlots = static_cast<int>(kHttp2StartNames.size());

// The duration bounds in whole microseconds, computed once: record_exchange compares integers.
constexpr std::array<int64_t, kDurationBucketsSeconds.size()> duration_bounds_us() {
  std::array<int64_t, kDurationBucketsSeconds.size()> out{};
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<int64_t>(kDurationBucketsSeconds[i] * 1e6 + 0.5);
  }
  return out;
}
constexpr std::array<int64_t, kDurationBucketsSeconds.size()> kDurationBoundsUs =
    duration_bounds_us();

int duration_bucket(int64_t us) {
  for (size_t i = 0; i < kDurationBoundsUs.size(); ++i) {
    if (us <= kDurationBoundsUs[i]) return static_cast<int>(i);
  }
  return kDurationSlots - 1;
}

// A label value as the text format wants it (backslash, quote and newline escaped).
std::string label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Writes families in the text exposition format. Label values here are fixed ASCII tokens
// (method names, status classes, kinds), so they need no escaping.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  void sample(std::string_view name, uint64_t value) {
    fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
  }
  void sample(std::string_view name, std::string_view labels, uint64_t value) {
    fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
  }
  void sample_double(std::string_view name, double value) {
    fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
  }
  void sample_double(std::string_view name, std::string_view labels, double value) {
    fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
  }
  void counter(std::string_view name, std::string_view help, uint64_t value) {
    family(name, "counter", help);
    sample(name, value);
  }
  void gauge(std::string_view name, std::string_view help, uint64_t value) {
    family(name, "gauge", help);
    sample(name, value);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

struct alignas(64) WorkerMetrics::Counters {
  Counter requests[http::kMethodCount][kStatusClasses][kCacheStatusCount];
  Counter local_304;
  Counter body_bytes;
  Counter bytes_saved;
  Counter upstream_requests;
  Counter upstream_errors[kErrorKindSlots];
  Counter upstream_tls_handshakes[kTlsResultSlots];
  Counter latency_buckets[kLatencySlots];  // per bucket, not cumulative
  Counter latency_sum_us;
  Counter coalesced_waits;
  Counter unavailable[3];
  Counter connections_refused;
  Counter client_tls_handshakes[kClientTlsResultSlots];
  Counter client_errors[kClientErrorSlots];
  Counter http2_connections[kHttp2StartSlots];
  Counter http2_streams;
  Counter http2_streams_reset;
  Gauge http2_open_streams;
  Counter http2_goaways[kHttp2GoawaySlots];
  Counter duration_buckets[kCacheStatusCount][kDurationSlots];  // per bucket, not cumulative
  Counter duration_sum_us[kCacheStatusCount];
};

WorkerMetrics::WorkerMetrics() : counters_(std::make_unique<Counters>()) {}
WorkerMetrics::~WorkerMetrics() = default;

void WorkerMetrics::record_exchange(const ExchangeRecord& r) {
  auto method = static_cast<size_t>(r.method);
  auto cache = static_cast<size_t>(r.cache_status);
  if (method >= static_cast<size_t>(http::kMethodCount))
    method = static_cast<size_t>(http::Method::Other);
  if (cache >= static_cast<size_t>(kCacheStatusCount))
    cache = static_cast<size_t>(CacheStatus::None);
  counters_->requests[method][status_class(r)][cache].add();
  counters_->body_bytes.add(r.body_bytes);
  if (r.local_304) {
    counters_->local_304.add();
    counters_->bytes_saved.add(r.bytes_saved);
  }
  if (r.total_us >= 0) {
    counters_->duration_buckets[cache][duration_bucket(r.total_us)].add();
    counters_->duration_sum_us[cache].add(static_cast<uint64_t>(r.total_us));
  }
}

void WorkerMetrics::record_client_error(ClientErrorReason reason) {
  auto i = static_cast<size_t>(reason);
  if (i >= static_cast<size_t>(kClientErrorSlots)) i = static_cast<size_t>(ClientErrorReason::Other);
  counters_->client_errors[i].add();
}

void WorkerMetrics::record_upstream_request(int64_t latency_us) {
  if (latency_us < 0) latency_us = 0;
  counters_->upstream_requests.add();
  counters_->latency_buckets[latency_bucket(latency_us)].add();
  counters_->latency_sum_us.add(static_cast<uint64_t>(latency_us));
}

void WorkerMetrics::record_upstream_error(UpstreamError error) {
  counters_->upstream_errors[static_cast<size_t>(error)].add();
}

void WorkerMetrics::record_upstream_tls_handshake(TlsHandshakeResult result) {
  counters_->upstream_tls_handshakes[static_cast<size_t>(result)].add();
}

void WorkerMetrics::record_coalesced_wait() { counters_->coalesced_waits.add(); }

void WorkerMetrics::record_upstream_unavailable(Unavailable why) {
  counters_->unavailable[static_cast<size_t>(why)].add();
}
void WorkerMetrics::record_connection_refused() { counters_->connections_refused.add(); }

void WorkerMetrics::record_client_tls_handshake(ClientTlsHandshakeResult result) {
  counters_->client_tls_handshakes[static_cast<size_t>(result)].add();
}

void WorkerMetrics::record_http2_connection(Http2Start how) {
  counters_->http2_connections[static_cast<size_t>(how)].add();
}

void WorkerMetrics::record_http2_stream_opened() {
  counters_->http2_streams.add();
  counters_->http2_open_streams.add();
}

void WorkerMetrics::record_http2_stream_reset() { counters_->http2_streams_reset.add(); }

void WorkerMetrics::record_http2_streams_closed(uint64_t n) {
  counters_->http2_open_streams.subtract(n);
}

void WorkerMetrics::record_http2_goaway(Http2GoawayReason reason) {
  counters_->http2_goaways[static_cast<size_t>(reason)].add();
}

Metrics::Metrics(unsigned workers)
    : start_unix_seconds_(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()) {
  workers_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) workers_.push_back(std::make_unique<WorkerMetrics>());
}

Metrics::~Metrics() = default;

void Metrics::record_reload(bool ok) {
  (ok ? reloads_ : reload_failures_).fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(const cache::CacheStats& cache, const ProcessGauges& process) const {
  // Sum the workers first: one pass per counter family over every worker.
  auto sum = [this](auto field) {
    uint64_t total = 0;
    for (const auto& w : workers_) total += field(*w->counters_).get();
    return total;
  };
  using C = WorkerMetrics::Counters;

  Exposition e;
  e.family("etagd_requests_total", "counter",
           "Requests answered, by method, status class and cache status (X-Cache).");
  for (int m = 0; m < http::kMethodCount; ++m) {
    for (int s = 0; s < kStatusClasses; ++s) {
      for (int c = 0; c < kCacheStatusCount; ++c) {
        uint64_t v = sum([&](const C& k) -> const Counter& { return k.requests[m][s][c]; });
        if (v == 0) continue;
        e.sample("etagd_requests_total",
                 fmt::format("method=\"{}\",status=\"{}\",cache=\"{}\"",
                             http::method_name(static_cast<http::Method>(m)), kStatusClassNames[s],
                             cache_status_name(static_cast<CacheStatus>(c))),
                 v);
      }
    }
  }
  e.family("etagd_request_duration_seconds", "histogram",
           "Time from a request's head received to its whole answer queued for the client, by "
           "cache status.");
  for (int c = 0; c < kCacheStatusCount; ++c) {
    uint64_t counts[kDurationSlots];
    uint64_t total = 0;
    for (int i = 0; i < kDurationSlots; ++i) {
      counts[i] = sum([&](const C& k) -> const Counter& { return k.duration_buckets[c][i]; });
      total += counts[i];
    }
    if (total == 0) continue;
    std::string_view status = cache_status_name(static_cast<CacheStatus>(c));
    uint64_t cumulative = 0;
    for (int i = 0; i < kDurationSlots; ++i) {
      cumulative += counts[i];
      std::string le = i < static_cast<int>(kDurationBucketsSeconds.size())
                           ? fmt::format("{}", kDurationBucketsSeconds[i])
                           : std::string("+Inf");
      e.sample("etagd_request_duration_seconds_bucket",
               fmt::format("cache=\"{}\",le=\"{}\"", status, le), cumulative);
    }
    e.sample_double(
        "etagd_request_duration_seconds_sum", fmt::format("cache=\"{}\"", status),
        static_cast<double>(sum([&](const C& k) -> const Counter& { return k.duration_sum_us[c]; })) /
            1e6);
    e.sample("etagd_request_duration_seconds_count", fmt::format("cache=\"{}\"", status),
             cumulative);
  }
  e.family("etagd_client_errors_total", "counter",
           "Requests refused before they were answered normally (malformed, too large, too "
           "slow), by reason.");
  for (int i = 0; i < kClientErrorSlots; ++i) {
    e.sample("etagd_client_errors_total", fmt::format("reason=\"{}\"", kClientErrorReasons[i]),
             sum([&](const C& k) -> const Counter& { return k.client_errors[i]; }));
  }
  e.counter("etagd_local_not_modified_total",
            "304 Not Modified responses etagd answered itself, without asking the upstream.",
            sum([](const C& k) -> const Counter& { return k.local_304; }));
  e.counter("etagd_response_body_bytes_total", "Response body bytes sent to clients.",
            sum([](const C& k) -> const Counter& { return k.body_bytes; }));
  e.counter("etagd_saved_body_bytes_total",
            "Response body bytes not sent because etagd answered 304 Not Modified locally.",
            sum([](const C& k) -> const Counter& { return k.bytes_saved; }));

  e.counter("etagd_upstream_requests_total",
            "Upstream requests that received a complete response (any status).",
            sum([](const C& k) -> const Counter& { return k.upstream_requests; }));
  e.family("etagd_upstream_errors_total", "counter",
           "Upstream requests that failed, by kind of failure.");
  for (int i = 0; i < kErrorKindSlots; ++i) {
    std::string_view kind = upstream_error_kind(static_cast<UpstreamError>(i));
    e.sample("etagd_upstream_errors_total", fmt::format("kind=\"{}\"", kind),
             sum([&](const C& k) -> const Counter& { return k.upstream_errors[i]; }));
  }
  e.family("etagd_upstream_tls_handshakes_total", "counter",
           "TLS handshakes with an https upstream: full, resumed (a session ticket saved the "
           "certificate exchange), or why one failed.");
  for (int i = 0; i < kTlsResultSlots; ++i) {
    e.sample("etagd_upstream_tls_handshakes_total",
             fmt::format("result=\"{}\"", kTlsHandshakeResultNames[static_cast<size_t>(i)]),
             sum([&](const C& k) -> const Counter& { return k.upstream_tls_handshakes[i]; }));
  }
  e.family("etagd_upstream_latency_seconds", "histogram",
           "Upstream latency, from request sent to response complete.");
  uint64_t cumulative = 0;
  for (int i = 0; i < kLatencySlots; ++i) {
    cumulative += sum([&](const C& k) -> const Counter& { return k.latency_buckets[i]; });
    std::string le = i < static_cast<int>(kLatencyBucketsSeconds.size())
                         ? fmt::format("{}", kLatencyBucketsSeconds[i])
                         : std::string("+Inf");
    e.sample("etagd_upstream_latency_seconds_bucket", fmt::format("le=\"{}\"", le), cumulative);
  }
  // _count is the +Inf bucket by definition; taking it from the same sums keeps the two equal
  // even while workers write during the scrape.
  e.sample_double(
      "etagd_upstream_latency_seconds_sum",
      static_cast<double>(sum([](const C& k) -> const Counter& { return k.latency_sum_us; })) /
          1e6);
  e.sample("etagd_upstream_latency_seconds_count", cumulative);
  e.counter("etagd_coalesced_waits_total",
            "Requests that waited for another request's upstream fetch of the same key.",
            sum([](const C& k) -> const Counter& { return k.coalesced_waits; }));

  // The upstream servers (upstream.servers, max_connections, health checks).
  e.family("etagd_upstream_server_up", "gauge",
           "1 while the server may be chosen: up by its health checks and not ejected.");
  for (const UpstreamServerGauges& u : process.upstream_servers) {
    e.sample("etagd_upstream_server_up", fmt::format("server=\"{}\"", label_value(u.url)),
             u.up && !u.ejected && !u.draining ? 1 : 0);
  }
  e.family("etagd_upstream_server_state", "gauge",
           "1 for the state the server is in: up, down (health checks), ejected (passive) or "
           "draining (removed by a reload, its last requests still running).");
  for (const UpstreamServerGauges& u : process.upstream_servers) {
    std::string_view now = u.draining ? "draining" : !u.up ? "down" : u.ejected ? "ejected" : "up";
    for (std::string_view state : {"up", "down", "ejected", "draining"}) {
      e.sample("etagd_upstream_server_state",
               fmt::format("server=\"{}\",state=\"{}\"", label_value(u.url), state),
               state == now ? 1 : 0);
    }
  }
  e.family("etagd_upstream_server_in_flight", "gauge",
           "Requests in flight to the server, all workers (upstream.max_connections bounds it).");
  for (const UpstreamServerGauges& u : process.upstream_servers) {
    e.sample("etagd_upstream_server_in_flight", fmt::format("server=\"{}\"", label_value(u.url)),
             u.in_flight);
  }
  e.family("etagd_upstream_health_checks_total", "counter",
           "Active health check probes by result (pass: 2xx/3xx in time).");
  for (const UpstreamServerGauges& u : process.upstream_servers) {
    e.sample("etagd_upstream_health_checks_total",
             fmt::format("server=\"{}\",result=\"pass\"", label_value(u.url)), u.probes_passed);
    e.sample("etagd_upstream_health_checks_total",
             fmt::format("server=\"{}\",result=\"fail\"", label_value(u.url)), u.probes_failed);
  }
  e.family("etagd_upstream_ejections_total", "counter",
           "Times the passive checks ejected the server.");
  for (const UpstreamServerGauges& u : process.upstream_servers) {
    e.sample("etagd_upstream_ejections_total", fmt::format("server=\"{}\"", label_value(u.url)),
             u.ejections);
  }
  e.family("etagd_upstream_retries_total", "counter",
           "Requests that failed on the server before any response byte and were retried on "
           "another.");
  for (const UpstreamServerGauges& u : process.upstream_servers) {
    e.sample("etagd_upstream_retries_total", fmt::format("server=\"{}\"", label_value(u.url)),
             u.retries);
  }
  e.gauge("etagd_upstream_queue_waiting",
          "Requests waiting in the upstream queue for a slot of max_connections.",
          process.upstream_queue_waiting);
  // By the server the waiter was finally given: the queue is shared by all servers, so its
  // depth has no server, but each wait ends on one.
  e.family("etagd_upstream_queue_wait_seconds", "histogram",
           "Time requests waited in the upstream queue before getting a slot, by the server "
           "whose slot they got.");
  for (const UpstreamServerGauges& u : process.upstream_servers) {
    std::string server = label_value(u.url);
    uint64_t waited = 0;
    for (int i = 0; i < kLatencySlots; ++i) {
      waited += u.queue_wait.buckets[static_cast<size_t>(i)];
      std::string le = i < static_cast<int>(kLatencyBucketsSeconds.size())
                           ? fmt::format("{}", kLatencyBucketsSeconds[i])
                           : std::string("+Inf");
      e.sample("etagd_upstream_queue_wait_seconds_bucket",
               fmt::format("server=\"{}\",le=\"{}\"", server, le), waited);
    }
    e.sample_double("etagd_upstream_queue_wait_seconds_sum",
                    fmt::format("server=\"{}\"", server),
                    static_cast<double>(u.queue_wait.sum_us) / 1e6);
    e.sample("etagd_upstream_queue_wait_seconds_count", fmt::format("server=\"{}\"", server),
             waited);
  }
  e.family("etagd_upstream_unavailable_total", "counter",
           "Requests answered without asking the origin (stale or 503): queue full, queue "
           "timeout, or no server up.");
  constexpr std::string_view kUnavailable[] = {"queue_full", "queue_timeout", "no_server"};
  for (size_t i = 0; i < 3; ++i) {
    e.sample("etagd_upstream_unavailable_total", fmt::format("reason=\"{}\"", kUnavailable[i]),
             sum([&](const C& k) -> const Counter& { return k.unavailable[i]; }));
  }
  e.counter("etagd_client_connections_refused_total",
            "Client connections answered 503 and closed because limits.max_connections was "
            "reached.",
            sum([](const C& k) -> const Counter& { return k.connections_refused; }));
  e.family("etagd_client_tls_handshakes_total", "counter",
           "TLS handshakes of clients with a TLS listener: full, resumed (a session ticket "
           "saved the certificate exchange), or why one failed.");
  for (int i = 0; i < kClientTlsResultSlots; ++i) {
    e.sample("etagd_client_tls_handshakes_total",
             fmt::format("result=\"{}\"", kClientTlsHandshakeResultNames[static_cast<size_t>(i)]),
             sum([&](const C& k) -> const Counter& { return k.client_tls_handshakes[i]; }));
  }

  e.family("etagd_http2_connections_total", "counter",
           "HTTP/2 client connections, by how they started: alpn (TLS, ALPN h2) or "
           "prior_knowledge (the connection preface without it, h2c).");
  for (int i = 0; i < kHttp2StartSlots; ++i) {
    e.sample("etagd_http2_connections_total", fmt::format("how=\"{}\"", kHttp2StartNames[i]),
             sum([&](const C& k) -> const Counter& { return k.http2_connections[i]; }));
  }
  e.counter("etagd_http2_streams_total", "HTTP/2 streams opened by clients' requests.",
            sum([](const C& k) -> const Counter& { return k.http2_streams; }));
  e.counter("etagd_http2_streams_reset_total", "HTTP/2 streams the client reset (RST_STREAM).",
            sum([](const C& k) -> const Counter& { return k.http2_streams_reset; }));
  e.gauge("etagd_http2_open_streams", "HTTP/2 streams open now, every worker.",
          sum([](const C& k) -> const Gauge& { return k.http2_open_streams; }));
  e.family("etagd_http2_goaways_total", "counter",
           "GOAWAY frames sent to HTTP/2 clients, by reason.");
  for (int i = 0; i < kHttp2GoawaySlots; ++i) {
    e.sample("etagd_http2_goaways_total", fmt::format("reason=\"{}\"", kHttp2GoawayReasons[i]),
             sum([&](const C& k) -> const Counter& { return k.http2_goaways[i]; }));
  }

  e.gauge("etagd_cache_entries", "Responses stored in the cache.", cache.entries);
  e.gauge("etagd_cache_bytes", "Bytes charged to cached responses (keys, headers, bodies).",
          cache.bytes);
  if (process.cache_max_bytes != 0) {
    e.gauge("etagd_cache_max_bytes", "Cache memory budget (cache.max_memory).",
            process.cache_max_bytes);
  }
  HeapStats heap = read_heap_stats();
  e.gauge("etagd_heap_bytes",
          "Bytes allocated from malloc and in cache entries' own mappings: the cache's entries "
          "(etagd_cache_bytes), connections and buffers.",
          heap.in_use_bytes + cache::mapped_entry_bytes());
  e.gauge("etagd_heap_free_bytes",
          "Free bytes malloc keeps inside its heap for reuse; resident until the heap is "
          "trimmed.",
          heap.free_bytes);
  e.counter("etagd_cache_inserts_total", "Responses stored.", cache.inserts);
  e.counter("etagd_cache_evictions_total", "Entries dropped to make room (LRU).", cache.evictions);
  e.counter("etagd_cache_invalidations_total",
            "Invalidations and purges (of a URL or a prefix) applied to the cache.",
            cache.invalidations);
  e.counter("etagd_cache_purged_entries_total", "Entries removed by URL invalidations and purges.",
            cache.purged);

  e.counter("etagd_config_reloads_total", "Configuration reloads applied (SIGHUP).", reloads());
  e.counter("etagd_config_reload_failures_total",
            "Configuration reloads rejected; the running configuration stayed.", reload_failures());
  e.gauge("etagd_draining", "1 while etagd drains connections before exiting.",
          process.draining ? 1 : 0);
  e.gauge("etagd_workers", "Worker threads.",
          process.workers != 0 ? process.workers : worker_count());
  e.gauge("etagd_start_time_seconds", "Start time of the process, seconds since the epoch.",
          static_cast<uint64_t>(start_unix_seconds_));
  e.gauge("etagd_client_connections", "Open client connections.", process.client_connections);
  if (!process.version.empty()) {
    e.family("etagd_build_info", "gauge", "Always 1; the labels say which build is running.");
    e.sample("etagd_build_info",
             fmt::format("version=\"{}\",commit=\"{}\"", label_value(process.version),
                         label_value(process.commit.empty() ? "unknown" : process.commit)),
             1);
  }
  e.counter("etagd_log_messages_dropped_total",
            "Log lines dropped because the asynchronous log queue was full.",
            process.log_messages_dropped);

  e.gauge("etagd_fleet_enabled", "1 when fleet-wide invalidation (Redis) is configured.",
          process.fleet_enabled ? 1 : 0);
  e.gauge("etagd_fleet_connected", "1 while subscribed to the fleet invalidation channel.",
          process.fleet_connected ? 1 : 0);
  e.counter("etagd_fleet_messages_sent_total", "Invalidations published to the fleet.",
            process.fleet_messages_sent);
  e.counter("etagd_fleet_messages_applied_total",
            "Invalidations received from other instances and applied.",
            process.fleet_messages_applied);
  e.counter("etagd_fleet_messages_dropped_total",
            "Invalidations not published (queue full or Redis lost); each is covered by an "
            "`all` message making the other instances revalidate everything.",
            process.fleet_messages_dropped);
  e.counter("etagd_fleet_gaps_total",
            "Times the fleet channel was lost; each marks the whole cache stale.",
            process.fleet_gaps);

  // The process collector of the Prometheus client libraries, with their names and types.
  ProcessStats ps = read_process_stats();
  if (ps.ok) {
    e.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    e.sample_double("process_cpu_seconds_total", ps.cpu_seconds);
    e.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", ps.resident_bytes);
    e.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", ps.virtual_bytes);
    e.family("process_start_time_seconds", "gauge",
             "Start time of the process since unix epoch in seconds.");
    e.sample_double("process_start_time_seconds", ps.start_time_seconds);
  }
  e.gauge("process_open_fds", "Number of open file descriptors.", ps.open_fds);
  if (ps.max_fds != 0) {
    e.gauge("process_max_fds", "Maximum number of open file descriptors.", ps.max_fds);
  }
  return e.take();
}

}  // namespace etagd::ops
