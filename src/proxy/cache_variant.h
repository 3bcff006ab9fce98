// What keeps stored responses to one URL apart (cache_entry.h VaryField): the rule's
// key_headers and key_cookies, the response's Vary, and request fields that commonly make a
// legacy origin answer differently without saying so in Vary.
//
// That last group is the cache-poisoning defence: X-Forwarded-Host, X-Original-URL,
// X-HTTP-Method-Override and their relatives are read by many frameworks to build links or
// pick a route. When a request carries one, the response is stored only for requests with the
// same value; a request without them never matches it. Requests behind a load balancer that
// always sets the same value still share one entry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_entry.h"
#include "config/rule.h"
#include "http/message_head.h"

namespace etagd::proxy {

// The request fields, in order: key_headers, key_cookies (as "cookie:<name>", cache_key.h),
// then the override fields the request carries, then the fields named by the response's Vary
// (RFC 9111 §4.1). Header names are lowercase; cookie names as the rule wrote them.
std::vector<cache::VaryField> response_variant(const http::RequestHead& request,
                                               const config::RuleActions& actions,
                                               const http::HeaderList& response_headers);

// The key concurrent misses coalesce on: the URL key plus the values of the fields known
// before the response arrives (key_headers and override fields). Vary is not known yet; a
// waiter whose Vary values differ finds no match and goes upstream itself.
std::string coalescing_key(std::string_view url_key, const http::RequestHead& request,
                           const config::RuleActions& actions);

}  // namespace etagd::proxy
