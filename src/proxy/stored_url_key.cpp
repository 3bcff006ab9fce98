#include "proxy/stored_url_key.h"

#include "cache/cache_key.h"
#include "http/path_normalisation.h"
#include "http/query_normalisation.h"
#include "http/token.h"

namespace etagd::proxy {

std::string rule_host(std::string_view host) {
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return http::lowercase(host);
}

std::string stored_url_key(const config::RuleSet& rules, std::string_view host,
                           std::string_view target, cache::Scheme scheme) {
  // Requests are keyed by their normalised path (http::check_request), so a Location or a
  // purge that names "/a//b" or "/x/../a/b" names the entry of "/a/b". A path above the root
  // is left as it is: no request with it was ever stored.
  size_t q = target.find('?');
  std::string normal;
  if (http::normalise_path(target.substr(0, q), normal) == http::PathNormalisation::Changed) {
    if (q != std::string_view::npos) normal.append(target.substr(q));
    target = normal;
    q = target.find('?');
  }
  std::string_view path = target.substr(0, q);
  const config::RuleActions& actions = *rules.match(http::Method::Get, rule_host(host), path).actions;
  if (actions.cache_key.query.empty()) return cache::make_url_key(host, target, scheme);
  return cache::make_url_key(host, http::normalise_query(target, actions.cache_key.query), scheme);
}

cache::Scheme key_scheme(std::string_view listener_scheme) {
  return listener_scheme == "https" ? cache::Scheme::Https : cache::Scheme::Http;
}

}  // namespace etagd::proxy
