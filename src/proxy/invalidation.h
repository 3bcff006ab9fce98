// What a successful unsafe request removes from the cache (RFC 9111 §4.4): the target URI,
// the URIs in Location and Content-Location when they are on the same host, and the prefixes
// the matching rule lists under `invalidate`. In fleet mode each one is also published to the
// other instances.
#pragma once

#include <string_view>

#include "cache/cache_store.h"
#include "config/rule.h"
#include "config/rule_set.h"
#include "fleet/fleet_channel.h"
#include "http/message_head.h"

namespace etagd::proxy {

// "/api/items/42" -> "/api/items"; "/api/items" -> "/api"; "/" -> "/".
std::string_view parent_path(std::string_view path);

// Called when the upstream answered 2xx/3xx to a request with an unsafe method. `fleet` is
// null without fleet mode.
void invalidate_after_write(cache::CacheStore& cache, fleet::FleetChannel* fleet,
                            const config::RuleSet& rules, const http::RequestHead& request,
                            const http::ResponseHead& response,
                            const config::RuleActions& actions);

}  // namespace etagd::proxy
