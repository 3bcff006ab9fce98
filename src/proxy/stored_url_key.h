// The cache key a URL is stored under, for code that names a URL without being the request
// that stores it: invalidation after a write (RFC 9111 §4.4) and purges. A GET's rule may
// normalise the query (cache_key.query), so "/items?b=2&a=1" is stored as "/items?a=1&b=2";
// a write or purge naming either form must reach that entry.
#pragma once

#include <string>
#include <string_view>

#include "config/rule_set.h"

namespace etagd::proxy {

// The host as rules match it: without port, lowercase ("API.example.com:8080" ->
// "api.example.com"; "[::1]:8080" -> "[::1]").
std::string rule_host(std::string_view host);

// The key (cache/cache_key.h) under which a GET for `target` ("/path?query") on `host` is
// stored: the query normalised as the rule that GET matches says.
std::string stored_url_key(const config::RuleSet& rules, std::string_view host,
                           std::string_view target);

}  // namespace etagd::proxy
