// How long a response stays fresh (RFC 9111 §4.2) and whether a shared cache may store it (§3).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/clock.h"
#include "cache/cache_entry.h"
#include "http/cache_control.h"
#include "http/header_list.h"
#include "http/method.h"

namespace etagd::cache {

struct FreshnessPolicy {
  // Rule ttl: a fixed lifetime that replaces the upstream's (nullopt = follow the upstream).
  std::optional<std::chrono::seconds> ttl;
  std::chrono::seconds stale_if_error{0};          // rule values; the upstream's RFC 5861
  std::chrono::seconds stale_while_revalidate{0};  // directives, when larger, apply under ttl
                                                   // origin
  // Heuristic freshness (RFC 9111 §4.2.2) for a response without an explicit lifetime: at
  // most this long (0: none). `status` is the response's, since only heuristically
  // cacheable statuses (RFC 9110 §15.1) may be given one.
  std::chrono::seconds heuristic_max{0};
  int status = 200;
};

// Freshness of a response with these headers (parsed Cache-Control passed in `cc`).
// date_value from Date (response_time when absent or invalid), age_value from the first member
// of Age (0 when absent or invalid, RFC 9111 §5.1).
// Under ttl origin: s-maxage, else max-age, else Expires - Date (RFC 9111 §4.2.1; an invalid
// Expires, e.g. "0", means already expired, §5.3); without any of them, a response with a
// heuristically cacheable status and a Last-Modified before Date is fresh for 10% of the time
// between them, capped by policy.heuristic_max (§4.2.2, the figure the RFC suggests), and
// marked `heuristic`.
// must_revalidate from must-revalidate, proxy-revalidate or s-maxage (§3.5, §5.2.2.8),
// no_cache from no-cache; stale windows are the larger of the rule's and the upstream's.
// Under a rule ttl the operator's policy replaces the upstream's: lifetime = ttl (counted from
// the response's arrival: lifetime_from_arrival), stale windows
// from the rule, and the upstream's no-cache/must-revalidate are not applied (the rule's
// Cache-Control rewrite is what clients see). no-store/private still prevent storing.
Freshness compute_freshness(const http::HeaderList& response_headers, const http::CacheControl& cc,
                            const FreshnessPolicy& policy, base::WallSeconds request_time,
                            base::WallSeconds response_time);

struct StorabilityInput {
  http::Method method = http::Method::Get;  // of the request (HEAD is fetched as GET)
  int status = 200;
  const http::CacheControl* response_cc = nullptr;
  const http::HeaderList* response_headers = nullptr;
  bool request_has_authorization = false;
  bool keyed_on_authorization = false;  // rule key_headers include Authorization
  bool request_has_cookie = false;
  bool keyed_on_cookie = false;         // key_headers include Cookie, or the rule has key_cookies
  bool rule_ttl = false;                // the rule gives a fixed ttl (explicit operator intent)
  bool rule_names_status = false;       // ... for this status code by name (ttl: { 403: 60s })
  // No rules configured: etagd is a plain RFC 9111 shared cache, which may store a 5xx that
  // gives explicit freshness (§3). With rules a 5xx is never stored.
  bool store_fresh_server_errors = false;
  bool ignore_cache_control = false;    // rule ignore_upstream_cache_control: no-store/private
                                        // (and their Authorization exception) no longer apply
};

// Empty when a shared cache may store the response (RFC 9111 §3, §3.5), else a short reason
// ("no-store", "private", "set-cookie", "vary *", "status", "server error", "authorization",
// "no validator or freshness"...). 5xx responses are never stored, whatever their freshness. Rules cannot override no-store/private/Set-Cookie/Vary: * ; a rule ttl makes
// statuses 200/203/204/300/301/308/404/410 storable without explicit freshness (and only those).
// Never stored: a method other than GET ("method"), 1xx, 206 and 304 ("status").
// Under ttl origin a response needs explicit freshness (s-maxage, max-age or Expires), or else
// a validator (ETag or Last-Modified: stored stale, revalidated on every use) together with a
// heuristically cacheable status or "public". A request with Authorization is stored only if
// the response says public, s-maxage or must-revalidate (§3.5), or the rule keys on
// Authorization (each credential then has its own variant, so no one else is served it).
// A request with Cookie is treated alike ("cookie"): session-cookie APIs authenticate with it,
// and a response stored for one session must not be served to another unless the rule keys
// on the cookie (key_cookies, or key_headers: [Cookie]) or the response says it is shared.
std::string_view why_not_storable(const StorabilityInput& in);

}  // namespace etagd::cache
