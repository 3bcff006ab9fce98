// What the proxy reports about each answered request, for the access log and the metrics.
// Views point into the exchange's buffers: consume the record before returning.
#pragma once

#include <cstdint>
#include <string_view>

#include "http/method.h"

namespace etagd::ops {

// How the cache took part in an answer; the value of the cache-status header (X-Cache).
enum class CacheStatus : uint8_t { Hit, HitCoalesced, Miss, Stale, Revalidated, Bypass, None };
inline constexpr int kCacheStatusCount = 7;
// "HIT", "HIT-COALESCED" (served from the cache after waiting for another request's fetch of
// the same key), "MISS", "STALE", "REVALIDATED", "BYPASS", "NONE" (answered before caching
// applied, e.g. a 400 for a malformed request).
std::string_view cache_status_name(CacheStatus s);
// The cache-status field value and log word: the name, with ";heuristic" when the response
// served is fresh by heuristic (RFC 9111 §4.2.2: nothing the origin said made it fresh, so an
// operator and a client should be able to tell).
std::string_view cache_status_text(CacheStatus s, bool heuristic);

struct ExchangeRecord {
  int64_t start_unix_ms = 0;  // when the request head was complete
  std::string_view client;    // peer address
  http::Method method = http::Method::Get;
  std::string_view method_token;  // as sent; method_name(method) is used when empty
  std::string_view target;        // as sent (origin-form); empty: no request line was read
  std::string_view protocol = "HTTP/1.1";  // as the client spoke: "HTTP/1.0", "HTTP/2.0"
  std::string_view host;          // request fields as sent; empty when absent
  std::string_view referer;
  std::string_view user_agent;
  int status = 0;
  uint64_t body_bytes = 0;  // response body bytes sent
  CacheStatus cache_status = CacheStatus::None;
  bool heuristic_freshness = false;  // the response served is fresh by heuristic (§4.2.2)
  bool local_304 = false;    // a 304 etagd answered itself
  uint64_t bytes_saved = 0;  // body bytes a local 304 did not send
  int64_t upstream_us = -1;  // request sent to response complete; -1 without upstream
  bool truncated = false;    // the head went out, the body could not be completed
  int64_t total_us = 0;      // head complete to answer complete; -1 when unknown (a refusal)
};

}  // namespace etagd::ops
