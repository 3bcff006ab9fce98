#include "ops/admin_api.h"

#include <vector>

#include <fmt/format.h>

#include "base/json_writer.h"
#include "cache/cache_key.h"
#include "config/config_dump.h"
#include "http/percent_encoding.h"
#include "ops/log_output.h"

namespace etagd::ops {

using base::JsonWriter;

namespace {

AdminResponse text(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

AdminResponse json(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

AdminResponse json_error(int status, std::string_view message) {
  JsonWriter w;
  w.begin_object().key("error").value(message).end_object();
  return json(status, w.str() + "\n");
}

AdminResponse method_not_allowed(std::string allow) {
  AdminResponse r = text(405, "method not allowed\n");
  r.allow = std::move(allow);
  return r;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

struct PurgeUrl {
  std::string host;    // empty when the URL was a path
  std::string target;  // path?query
  // The scheme an absolute URL names; none for a path: then both schemes' entries go.
  std::optional<cache::Scheme> scheme;
};

// "http://host[:port]/path?q" or "/path?q". Returns nullopt for anything else.
std::optional<PurgeUrl> parse_purge_url(std::string_view url) {
  if (size_t hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  if (!url.empty() && url.front() == '/') return PurgeUrl{"", std::string(url), std::nullopt};
  std::string_view rest;
  if (iequals_prefix(url, "http://")) {
    rest = url.substr(7);
  } else if (iequals_prefix(url, "https://")) {
    rest = url.substr(8);
  } else {
    return std::nullopt;
  }
  bool https = iequals_prefix(url, "https://");
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  // Userinfo has no place in a cache key (RFC 9110 §4.2.4 deprecates it in http URIs).
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (target.front() == '?') target.insert(0, "/");
  return PurgeUrl{std::string(authority), std::move(target),
                  https ? cache::Scheme::Https : cache::Scheme::Http};
}

}  // namespace

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key == name) {
      if (eq == std::string_view::npos) return std::string();
      return http::percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

AdminApi::AdminApi(AdminDeps deps) : deps_(std::move(deps)) {}

std::string AdminApi::url_key(std::string_view host, std::string_view target,
                              cache::Scheme scheme) const {
  return deps_.url_key ? deps_.url_key(host, target, scheme)
                       : cache::make_url_key(host, target, scheme);
}

AdminResponse AdminApi::handle(const http::RequestHead& request) const {
  std::string_view method = request.method_token;
  std::string_view path = request.path;
  bool get = method == "GET" || method == "HEAD";

  if (path == "/metrics" || path == "/healthz" || path == "/config") {
    if (!get) return method_not_allowed("GET, HEAD");
    if (path == "/metrics") return metrics();
    if (path == "/healthz") return healthz();
    return config();
  }
  if (path == "/purge") {
    if (method != "POST" && method != "PURGE") return method_not_allowed("POST, PURGE");
    return purge(request, /*varnish_style=*/false);
  }
  if (method == "PURGE") return purge(request, /*varnish_style=*/true);
  return text(404, "not found\n");
}

AdminResponse AdminApi::metrics() const {
  ProcessGauges g = deps_.gauges ? deps_.gauges() : ProcessGauges{};
  g.cache_max_bytes = deps_.cache.max_memory();
  g.log_messages_dropped = log_messages_dropped();
  AdminResponse r;
  r.content_type = std::string(kPrometheusContentType);
  r.body = deps_.metrics.render(deps_.cache.stats(), g);
  return r;
}

AdminResponse AdminApi::healthz() const {
  ProcessGauges g = deps_.gauges ? deps_.gauges() : ProcessGauges{};
  // A load balancer takes a draining instance out of rotation on the 503, while the instance
  // still finishes what it has.
  if (g.draining) return text(503, "draining\n");
  size_t up = 0;
  for (const UpstreamServerGauges& u : g.upstream_servers) up += u.up && !u.ejected;
  // Without a health check or passive checks nothing judges a server: it is "up" only in that
  // requests go to it, so /healthz says it is unchecked rather than up, and stays 200 as
  // HAProxy counts a server without `check` as up and nginx never takes the only server of an
  // upstream out. What real requests last met is shown either way.
  std::string servers =
      g.upstream_checked
          ? fmt::format("upstream: {} of {} server(s) up\n", up, g.upstream_servers.size())
          : fmt::format("upstream: {} server(s), not checked (no health_check, passive off)\n",
                        g.upstream_servers.size());
  for (const UpstreamServerGauges& u : g.upstream_servers) {
    if (u.failed_ms_ago < 0) continue;
    servers += fmt::format("upstream {}: the last request failed {:.1f}s ago ({}), none answered "
                           "since\n",
                           u.url, static_cast<double>(u.failed_ms_ago) / 1000.0,
                           upstream_error_kind(u.failure));
  }
  // With no server up the instance can still answer from its cache (hits, stale_if_error):
  // out of rotation only when it has nothing to serve at all.
  bool can_serve = up > 0 || g.upstream_servers.empty() || deps_.cache.stats().entries > 0;
  std::string body = can_serve ? "ok\n" : "no upstream server is up and the cache is empty\n";
  if (!g.upstream_servers.empty()) body += servers;
  // Still 200 without the fleet channel: the instance answers correctly (it revalidates
  // instead of trusting its cache), and a Redis outage must not take every instance out of
  // rotation at once.
  if (g.fleet_enabled) {
    body += g.fleet_connected ? "fleet: subscribed\n"
                              : "fleet: not subscribed; cache hits are revalidated upstream\n";
  }
  return text(can_serve ? 200 : 503, body);
}

AdminResponse AdminApi::config() const {
  std::shared_ptr<const config::Config> cfg = deps_.config ? deps_.config() : nullptr;
  if (!cfg) return json_error(503, "no configuration loaded");
  return json(200, config::dump_config(*cfg));
}

AdminResponse AdminApi::purge(const http::RequestHead& request, bool varnish_style) const {
  std::optional<std::string> url = query_param(request.query, "url");
  std::optional<std::string> prefix = query_param(request.query, "prefix");
  std::optional<std::string> host = query_param(request.query, "host");

  if (varnish_style) {
    // The whole target is the URL to purge, on every host: the request's own Host names the
    // admin listener, not a host clients use.
    url = std::string(request.target);
    prefix.reset();
    host.reset();
  }

  if (url.has_value() == prefix.has_value()) {
    return json_error(400, "give exactly one of url=<url> or prefix=<path prefix>");
  }

  JsonWriter w;
  if (prefix) {
    if (prefix->empty() || prefix->front() != '/') {
      return json_error(400, "prefix must be a path starting with '/'");
    }
    size_t n = deps_.cache.purge_prefix(*prefix);
    if (deps_.on_purge) deps_.on_purge("prefix", *prefix);
    w.begin_object().key("purged").value(static_cast<uint64_t>(n)).key("prefix").value(*prefix);
    w.end_object();
    return json(200, w.str() + "\n");
  }

  std::optional<PurgeUrl> parsed = parse_purge_url(*url);
  if (!parsed) {
    return json_error(400, "url must be http://host/path or /path (with host=)");
  }
  if (!parsed->host.empty() && host && !host->empty() &&
      cache::make_url_key(*host, "/", *parsed->scheme) !=
          cache::make_url_key(parsed->host, "/", *parsed->scheme)) {
    return json_error(400, "host= disagrees with the host in url=");
  }
  std::string purge_host = !parsed->host.empty() ? parsed->host : host.value_or("");
  if (purge_host.empty()) {
    // A path alone: that path and query on every host.
    std::string target = url_key("", parsed->target, cache::Scheme::Http);
    size_t n = deps_.cache.purge_target(target);
    if (deps_.on_purge) deps_.on_purge("target", target);
    w.begin_object().key("purged").value(static_cast<uint64_t>(n)).key("target").value(target);
    w.end_object();
    return json(200, w.str() + "\n");
  }
  // url=http://... or url=https://... purges that scheme's entry; a path with host= names no
  // scheme and purges both.
  std::vector<cache::Scheme> schemes = {cache::Scheme::Http, cache::Scheme::Https};
  if (parsed->scheme) schemes = {*parsed->scheme};
  size_t n = 0;
  std::string key;
  for (cache::Scheme scheme : schemes) {
    key = url_key(purge_host, parsed->target, scheme);
    n += deps_.cache.purge_url(key);
    if (deps_.on_purge) deps_.on_purge("url", key);
  }
  if (!parsed->scheme) key = url_key(purge_host, parsed->target, cache::Scheme::Http);
  w.begin_object().key("purged").value(static_cast<uint64_t>(n)).key("key").value(key);
  w.end_object();
  return json(200, w.str() + "\n");
}

}  // namespace etagd::ops
