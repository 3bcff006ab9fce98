// Cache-Control directives (RFC 9111 §5.2) that a shared cache acts on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace etagd::http {

struct CacheControl {
  // Delta-seconds values; a directive repeated with different values, or with an invalid
  // value, is recorded as 0 (RFC 9111 §4.2.1: invalid freshness information means stale).
  std::optional<int64_t> max_age;
  std::optional<int64_t> s_maxage;
  std::optional<int64_t> stale_while_revalidate;  // RFC 5861
  std::optional<int64_t> stale_if_error;          // RFC 5861
  bool no_store = false;
  bool no_cache = false;  // the unqualified form only
  bool private_ = false;  // the unqualified form only
  // Field names of the qualified forms no-cache="a, b" and private="a, b" (RFC 9111 §5.2.2.4,
  // §5.2.2.7): a shared cache may store the response but must not reuse these fields for
  // another request, so etagd stores it without them. Views into the field value.
  std::vector<std::string_view> unshared_fields;
  bool public_ = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool no_transform = false;
  bool immutable = false;
  bool only_if_cached = false;
  // Read from a targeted field (RFC 9213), which replaces Cache-Control and Expires for the
  // cache (§2.2): freshness then never comes from Expires.
  bool targeted = false;
};

// Adds the directives in one Cache-Control field line to `cc` (several lines accumulate).
// Directive names are case-insensitive; unknown directives are ignored; quoted-string
// arguments ("60") are accepted for delta-seconds; values above 2^31 clamp to 2^31.
void parse_cache_control(std::string_view field_value, CacheControl& cc);

// The response says a shared cache may reuse it for requests that carry credentials: public,
// s-maxage or must-revalidate, the directives RFC 9111 §3.5 accepts for a response to a
// request with Authorization.
bool shared_explicitly(const CacheControl& cc);

// A Cache-Control value for an answer meant for one user: `value` with `private` first
// (RFC 9111 §5.2.2.7), without the directives only shared caches read, which private makes
// contradictory (public, s-maxage; a qualified private, which the unqualified one covers).
// The rest stays, so the user's own cache keeps and revalidates it as `value` says. A value
// that already says private or no-store is returned as it is.
std::string with_private(std::string_view value);

}  // namespace etagd::http
