// The cache key a URL is stored under, for code that names a URL without being the request
// that stores it: invalidation after a write (RFC 9111 §4.4) and purges. A GET's rule may
// normalise the query (cache_key.query), so "/items?b=2&a=1" is stored as "/items?a=1&b=2";
// a write or purge naming either form must reach that entry.
#pragma once

#include <string>
#include <string_view>

#include "cache/cache_key.h"
#include "config/rule_set.h"

namespace etagd::proxy {

// The host as rules match it: without port, lowercase ("API.example.com:8080" ->
// "api.example.com"; "[::1]:8080" -> "[::1]").
std::string rule_host(std::string_view host);

// The key (cache/cache_key.h) under which a GET for `target` ("/path?query") on `host` over
// `scheme` is stored: the path normalised as requests are (http/path_normalisation.h), the
// query as the rule that GET matches says.
std::string stored_url_key(const config::RuleSet& rules, std::string_view host,
                           std::string_view target, cache::Scheme scheme = cache::Scheme::Http);

// The scheme a listener's requests key under: "https" for a TLS listener (client_identity.h).
cache::Scheme key_scheme(std::string_view listener_scheme);

}  // namespace etagd::proxy
