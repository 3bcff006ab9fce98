// The validated configuration. Plain data: the loader (config_loader.h) builds it from YAML
// and checks every value, so nothing downstream re-validates. A running etagd holds it as
// std::shared_ptr<const Config>; a reload builds a new one and swaps the pointer, and a request
// keeps the Config it started with.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/ip_network.h"
#include "config/rule_set.h"

namespace etagd::config {

using Duration = std::chrono::milliseconds;

// Where a setting was written in the file: 1-based line and column.
struct SourcePosition {
  int line = 0;
  int column = 0;
};

struct ListenAddress {
  std::string host;  // "0.0.0.0", "::", "127.0.0.1", "::1" or a name; IPv6 without brackets
  uint16_t port = 0;
  std::string text;  // as written, for messages ("[::1]:8080")
};

// One address clients connect to, with what it speaks. A `listen:` entry is either the
// address alone ("0.0.0.0:8080", a bare port) or a mapping of the keys in
// listener_settings() (settings_table.h): { address: 0.0.0.0:8080, http2: on }.
// TLS on a listener: `tls: { certificates: [{ cert, key }, ...], protocols: [...] }`.
struct ListenerCertificate {
  std::string cert;  // PEM chain, the server's certificate first
  std::string key;   // its private key
  bool operator==(const ListenerCertificate&) const = default;
};

struct ListenerTls {
  // Empty: plain HTTP. Several: the client's SNI chooses; the first is the default.
  std::vector<ListenerCertificate> certificates;
  bool tls12 = true;  // protocols: [TLSv1.2, TLSv1.3]; 1.0 and 1.1 are refused (RFC 8996)
  bool tls13 = true;
  bool enabled() const { return !certificates.empty(); }
  bool operator==(const ListenerTls&) const = default;
};

struct ListenerConfig {
  ListenAddress address;
  // Cleartext HTTP/2 with prior knowledge (RFC 9113 §3.3) beside HTTP/1.1: a connection that
  // opens with the HTTP/2 preface speaks HTTP/2, any other HTTP/1.1.
  bool http2 = false;
  ListenerTls tls;
  // Where the file gives it ("listen[1]" or "listen[1].address"), for messages after loading.
  std::string path;
};

enum class HostHeader { Forward, Upstream, Fixed };

// Whether requests upstream also carry the standard Forwarded field (RFC 7239) beside
// X-Forwarded-For/-Proto/-Host/-Port.
enum class ForwardedHeader { Off, Rfc7239 };

// TLS to an https upstream: `upstream: { url: https://..., tls: { ... } }`, the keys of
// upstream_tls_settings() (settings_table.h).
struct UpstreamTls {
  std::string ca_file;      // PEM bundle of trusted CAs; "" = the system trust store
  std::string server_name;  // SNI and the name the certificate must carry; "" = the URL's host
  bool verify = true;       // off accepts any certificate (with a warning at start and reload)
  std::string client_cert;  // PEM chain for mutual TLS; with client_key
  std::string client_key;
  bool operator==(const UpstreamTls&) const = default;
};

// Requests over upstream.max_connections wait in one FIFO for a free slot (proxy/upstream_slots.h).
struct UpstreamQueueConfig {
  uint32_t size = 1000;     // waiting requests; one more is answered at once (stale or 503)
  Duration timeout{5'000};  // a request that waited this long is answered (stale or 503)
  bool operator==(const UpstreamQueueConfig&) const = default;
};

// One origin server: where it is and its share of the load.
struct UpstreamServerConfig {
  std::string url;        // as written: http://host:port/base or https://...
  bool https = false;     // TLS to this server (upstream.tls says how)
  std::string host;       // connect address (name or literal)
  uint16_t port = 80;
  std::string base_path;  // "" or "/base" without a trailing slash; prefixed to every target
  std::string authority;  // "host[:port]" for Host: when host_header is Upstream
  uint32_t weight = 1;    // its share among the servers of its kind (primary or backup)
  bool backup = false;    // used only while no primary is up
  bool operator==(const UpstreamServerConfig&) const = default;
};

// Active health checks: one prober for the whole process asks every server for `path`.
struct HealthCheckConfig {
  bool enabled = false;
  std::string path = "/health";
  Duration interval{2'000};  // between two probes of a server
  Duration timeout{1'000};   // a probe not answered 2xx/3xx in time failed
  uint32_t fails = 3;        // consecutive failures that mark a server down
  uint32_t passes = 2;       // consecutive passes that bring it back
  bool operator==(const HealthCheckConfig&) const = default;
};

// Passive checks: connection errors and timeouts of real requests eject a server for a while.
struct PassiveCheckConfig {
  bool enabled = false;
  uint32_t fails = 5;         // failures...
  Duration within{10'000};    // ...within this long eject the server...
  Duration eject_for{30'000}; // ...for this long
  bool operator==(const PassiveCheckConfig&) const = default;
};

struct RetryConfig {
  // Attempts in all, on different servers, for an idempotent request that failed before any
  // response byte came back; 1: no retry to another server.
  uint32_t tries = 1;
  bool operator==(const RetryConfig&) const = default;
};

struct UpstreamConfig {
  // The servers requests go to: `servers:`, or the one `url:` names. The fields below are the
  // first server's, for what names "the upstream" (logs, Host: upstream with one server).
  std::vector<UpstreamServerConfig> servers;
  std::string url;        // as written: http://host:port/base or https://...
  bool https = false;     // the first server's scheme
  // How etagd speaks TLS to the servers whose URL is https://, all with the same settings.
  UpstreamTls tls;
  std::string host;       // connect address (name or literal)
  uint16_t port = 80;
  std::string base_path;  // "" or "/base" without a trailing slash; prefixed to every target
  std::string authority;  // "host[:port]" for Host: when host_header is Upstream
  HostHeader host_header = HostHeader::Forward;
  std::string fixed_host;              // when host_header is Fixed
  uint32_t max_idle = 32;              // idle keep-alive connections kept per worker
  Duration idle_timeout{60'000};       // an idle pooled connection is closed after this
  ForwardedHeader forwarded = ForwardedHeader::Off;
  // Requests in flight to the origin, all workers together; 0: no limit.
  uint32_t max_connections = 0;
  UpstreamQueueConfig queue;
  HealthCheckConfig health_check;
  PassiveCheckConfig passive;
  RetryConfig retry;
  // A server that comes back (health check passed, ejection over) gets its share of requests
  // back gradually over this long; 0s: at once.
  Duration slow_start{10'000};
};

struct Timeouts {
  Duration client_header{10'000};    // first byte to end of head (408 after, slowloris defence)
  Duration client_body{30'000};      // between two reads of a request body
  Duration client_idle{60'000};      // keep-alive wait for the next request
  Duration client_send{60'000};      // a client that reads nothing for this long is dropped
  // HTTP/2: a connection silent this long with streams open gets a PING, and is closed when
  // nothing answers within as long again; 0: no PINGs.
  Duration client_ping{30'000};
  Duration upstream_connect{5'000};  // 504 after
  Duration upstream_read{30'000};    // between two reads of the upstream response; 504 after
  Duration shutdown{10'000};         // drain limit on SIGTERM
};

struct Limits {
  uint64_t max_header_bytes = 16 * 1024;    // 431 above
  uint32_t max_headers = 100;               // 431 above
  uint64_t max_request_body = 1024 * 1024;  // 413 above
  uint32_t max_connections = 10'000;        // client connections, whole process
  // HTTP/2 (RFC 9113): SETTINGS_MAX_CONCURRENT_STREAMS announced and enforced per connection
  // (nginx's http2_max_concurrent_streams default); a stream beyond it is refused.
  uint32_t max_concurrent_streams = 128;
  // RST_STREAMs a client may send per second (a burst of twice this) before it gets GOAWAY
  // ENHANCE_YOUR_CALM: each reset stream may have cost an upstream request (CVE-2023-44487).
  uint32_t stream_resets_per_second = 100;
};

struct CacheConfig {
  uint64_t max_memory = 256ull * 1024 * 1024;   // everything entries hold, keys to bodies
  uint64_t max_object_size = 8ull * 1024 * 1024; // larger bodies stream through uncached
  // etagd holds a body in memory while it hashes it; above this it is a mistake, not a cache.
  static constexpr uint64_t kMaxObjectSizeLimit = 1ull << 30;
  uint32_t shards = 16;                          // power of two
  std::string status_header = "X-Cache";         // HIT/MISS/STALE/REVALIDATED/BYPASS
  Duration coalesce_timeout{5'000};              // a waiter goes upstream itself after this
  // Cap of heuristic freshness (RFC 9111 §4.2.2) for responses with Last-Modified and no
  // explicit lifetime; 0 turns heuristics off.
  Duration heuristic_max{3'600'000};
};

enum class LogFormat { Text, Json, Combined };  // Combined: nginx's, cache status appended
enum class LogLevel { Trace, Debug, Info, Warn, Error, Critical, Off };

struct LogConfig {
  LogLevel level = LogLevel::Info;
  std::string error_log = "stderr";  // "stderr", "stdout" or a file path
  std::string access_log = "off";    // "off", "stdout", "stderr" or a file path
  LogFormat access_format = LogFormat::Text;
};

struct AdminConfig {
  bool enabled = true;
  ListenAddress listen{"127.0.0.1", 9091, "127.0.0.1:9091"};
};

struct FleetConfig {
  bool enabled = false;
  std::string redis_host = "127.0.0.1";
  uint16_t redis_port = 6379;
  std::string channel = "etagd:invalidate";
  std::string instance_id;          // default: hostname:pid, filled by the loader
  Duration reconnect_min{100};      // back-off between reconnect attempts...
  Duration reconnect_max{5'000};    // ...doubling up to this
  // While unsubscribed, a hit older than this is revalidated upstream (0: revalidate every hit).
  Duration max_staleness{0};
};

// A setting whose value in the file differs from the running one until etagd restarts.
struct PendingRestart {
  std::string key;         // its path: "listen", "cache.max_memory"
  // The file's value as JSON, as /config writes the running one: ["127.0.0.1:8081"], 4,
  // "128MiB", "on" (a block switched on).
  std::string file_json;
};

struct Config {
  std::string source_path;  // file it came from
  // Settings the file changes that take effect only at the next start (empty at start-up).
  std::vector<PendingRestart> pending_restart;
  // Where each key and list item the file gives was written, by path ("upstream.url",
  // "listen[1]"), for messages about the values after loading (a host that does not resolve).
  std::map<std::string, SourcePosition, std::less<>> positions;
  std::vector<ListenerConfig> listen;
  UpstreamConfig upstream;
  // Peers whose X-Forwarded-* fields are believed (a TLS terminator, a load balancer). Empty:
  // trust nobody, and every request's X-Forwarded-* is rewritten from the connection itself.
  std::vector<IpNetwork> trusted_proxies;
  uint32_t workers = 0;  // 0 = auto (one per CPU)
  // Targeted cache control fields (RFC 9213) etagd honours instead of Cache-Control, in order:
  // the first one a response carries with a valid value wins. Empty: Cache-Control only.
  std::vector<std::string> targeted_cache_control = {"Etagd-Cache-Control", "CDN-Cache-Control"};
  Timeouts timeouts;
  Limits limits;
  CacheConfig cache;
  LogConfig log;
  AdminConfig admin;
  FleetConfig fleet;
  RuleSet rules;
};

}  // namespace etagd::config
