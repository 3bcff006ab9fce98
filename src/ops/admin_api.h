// What the admin listener answers, independent of sockets (admin_server.h carries the bytes).
//
//   GET  /metrics               Prometheus text exposition (metrics.h)
//   GET  /healthz               200 "ok" while serving, 503 "draining" during shutdown, or
//                               while no server is up and the cache is empty; then how many
//                               servers are up ("not checked" without health_check and
//                               passive), a line for each whose last request failed, and in
//                               fleet mode "fleet: subscribed" or not
//   GET  /config                the effective configuration as JSON (config/config_dump.h)
//   POST /purge?url=<url>       remove one URL's cached responses (every variant)
//   POST /purge?prefix=<path>   remove every cached response whose path starts with <path>
//   PURGE /purge?...            the same as POST
//   PURGE /<path>[?query]       Varnish style: remove that path and query on every host
// HEAD works wherever GET does. A known path with another method answers 405 with Allow;
// anything else 404. Purges answer JSON: {"purged":N,"key":"<url key>"},
// {"purged":N,"target":"/x?a=1"} (every host) or {"purged":N,"prefix":"/api/"}; a malformed
// one 400 {"error":"..."}.
//
// Which host a URL purge applies to: cache keys are host + path?query (cache_key.h), where host
// is what clients sent in Host -- often not the name an operator thinks of (127.0.0.1:8080 for
// one client, localhost:8080 or api.example.com for others). So a path alone applies to every
// host: `url=/x?a=1` and the Varnish-style `PURGE /x?a=1` (whose Host is the admin listener's,
// never the clients') purge /x?a=1 whatever Host it was stored under. `host=api.example.com`
// or a full URL (`url=http://api.example.com/x?a=1`) narrows it to that host. A host is matched
// as the cache keys it: case-insensitively, and with the scheme's default port (80 for http,
// 443 for https) the same as no port; another port must match exactly.
// Query values are percent-decoded; '+' stays '+'. The answer's "key" or "target" shows
// exactly what was purged.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cache/cache_key.h"
#include "cache/cache_store.h"
#include "config/config.h"
#include "http/message_head.h"
#include "ops/metrics.h"

namespace etagd::ops {

// What the admin endpoints read and call. The callbacks run on the admin thread: they must be
// thread-safe with respect to the workers and the main thread.
struct AdminDeps {
  cache::CacheStore& cache;
  Metrics& metrics;
  std::function<ProcessGauges()> gauges;                          // draining, fleet state...
  std::function<std::shared_ptr<const config::Config>()> config;  // the running config
  // Called after every successful purge with kind "url" (value: the url key), "target"
  // (value: path?query, on every host) or "prefix" (value: the path prefix), so fleet mode can
  // publish it to the other instances.
  std::function<void(std::string_view kind, std::string_view value)> on_purge;
  // The key a GET for target on host over scheme is stored under (rules may normalise the
  // query); when empty, cache::make_url_key.
  std::function<std::string(std::string_view host, std::string_view target, cache::Scheme scheme)>
      url_key;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // for 405
};

class AdminApi {
 public:
  explicit AdminApi(AdminDeps deps);
  AdminResponse handle(const http::RequestHead& request) const;

 private:
  std::string url_key(std::string_view host, std::string_view target, cache::Scheme scheme) const;
  AdminResponse metrics() const;
  AdminResponse healthz() const;
  AdminResponse config() const;
  AdminResponse purge(const http::RequestHead& request, bool varnish_style) const;

  AdminDeps deps_;
};

// One query parameter's value, percent-decoded (RFC 3986 §2.1), or nullopt if absent.
// A malformed %-escape is kept literally.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace etagd::ops
