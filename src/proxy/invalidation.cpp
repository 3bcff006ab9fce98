#include "proxy/invalidation.h"

#include "cache/cache_key.h"
#include "proxy/stored_url_key.h"
#include "http/token.h"

namespace etagd::proxy {

namespace {

// The path?query of a Location/Content-Location value if it names the request's host:
// a path-absolute reference, or an absolute http or https URI whose authority equals Host
// (the caller drops both schemes' entries either way).
std::string_view same_host_target(std::string_view value, std::string_view host) {
  if (value.empty()) return {};
  if (value[0] == '/') return value.substr(0, 2) == "//" ? std::string_view() : value;
  std::string_view rest;
  if (http::istarts_with(value, "http://")) {
    rest = value.substr(7);
  } else if (http::istarts_with(value, "https://")) {
    rest = value.substr(8);
  } else {
    return {};
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (!http::iequals(authority, host)) return {};
  return slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
}

}  // namespace

std::string_view parent_path(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

void invalidate_after_write(cache::CacheStore& cache, fleet::FleetChannel* fleet,
                            const config::RuleSet& rules, const http::RequestHead& request,
                            const http::ResponseHead& response,
                            const config::RuleActions& actions) {
  // Locally first, then the other instances (a non-blocking queue push). A write over either
  // scheme drops the entries of both: http and https name the same resource behind one proxy,
  // and a stale twin would outlive the change (RFC 9111 §4.4). Both keys are published rather
  // than having receivers expand one, so an instance running an older build still drops each.
  auto url = [&](std::string_view target) {
    for (cache::Scheme scheme : {cache::Scheme::Http, cache::Scheme::Https}) {
      std::string key = stored_url_key(rules, request.host, target, scheme);
      cache.invalidate_url(key);
      if (fleet != nullptr) fleet->publish_url(key);
    }
  };
  auto prefix = [&](std::string_view path_prefix, cache::PrefixMatch match) {
    cache.invalidate_prefix(path_prefix, match);
    if (fleet != nullptr) fleet->publish_prefix(path_prefix, match);
  };
  url(request.target);
  for (std::string_view name : {"location", "content-location"}) {
    std::string_view target = same_host_target(response.headers.get(name), request.host);
    if (!target.empty()) url(target);
  }
  for (const config::InvalidateTarget& t : actions.invalidate) {
    switch (t.kind) {
      // An operator's literal prefix means bytes, as written; a prefix derived from the
      // request path means that resource and what lies below it, never a sibling that only
      // shares the first letters ("/api/users" must not drop "/api/usersettings").
      case config::InvalidateTarget::Kind::Literal:
        prefix(t.value, cache::PrefixMatch::Bytes);
        break;
      case config::InvalidateTarget::Kind::Path:
        prefix(request.path, cache::PrefixMatch::Segments);
        break;
      case config::InvalidateTarget::Kind::Parent:
        prefix(parent_path(request.path), cache::PrefixMatch::Segments);
        break;
    }
  }
}

}  // namespace etagd::proxy
