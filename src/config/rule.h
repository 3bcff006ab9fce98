// One caching rule: what requests it matches and what it does to their responses.
// Rules are data; rule_set.h finds the first that matches a request.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/compress_policy.h"
#include "http/query_normalisation.h"

namespace etagd::config {

enum class CacheMode {
  Store,     // shared cache with local 304s
  Validate,  // always forward; hash the body, answer If-None-Match with 304; store nothing
  Bypass,    // stream through untouched: no buffering, no ETag, no 304s
};

enum class EtagPolicy {
  Preserve,  // keep an upstream ETag; generate one when missing
  Generate,  // always replace with the content ETag
};

// What a Range request that misses asks the origin for (RFC 9111 §3.3).
enum class RangePolicy {
  Whole,    // the whole response, stored, and the range answered from it
  Forward,  // the client's Range: a 206 with a strong validator is stored as partial content
};

enum class PathMatchKind { Any, Exact, Prefix, Glob };

struct RuleMatch {
  uint32_t methods = 0;  // bit set of http::method_bit(); 0 = every method
  // "" = any; "api.example.com" exact; "*.example.com" any name below example.com (any depth,
  // not example.com itself). Stored lowercase without a trailing dot; see host_matches().
  std::string host;
  PathMatchKind path_kind = PathMatchKind::Any;
  // Exact: the whole path. Prefix: a leading part. Glob: '*' matches within one path segment
  // (no '/'), "**" matches anything including '/'. Matched against the path without the query.
  std::string path;
};

struct TtlValue {
  bool from_origin = true;  // "origin": s-maxage, max-age, Expires from the upstream
  std::chrono::seconds value{0};
  bool operator==(const TtlValue&) const = default;
};

// How long stored responses stay fresh: one value (`ttl: 60s`), or one per status
// (`ttl: { 2xx: 60s, 404: 10s, other: 0s }`). The inherited members are the value for every
// status without an entry of its own ("other", `origin` unless given); a code's entry wins
// over its class's. A fixed 0s stores the response stale, so every use revalidates it.
struct Ttl : TtlValue {
  std::vector<std::pair<int, TtlValue>> codes;          // "404: 10s"
  std::array<std::optional<TtlValue>, 6> classes{};     // [2] is "2xx"
  TtlValue for_status(int status) const;
  // True when some status takes its lifetime from the upstream.
  bool any_from_origin() const;
  bool operator==(const Ttl&) const = default;
};

// cache_key: how the request's URL becomes the cache key.
struct CacheKeyActions {
  http::QueryNormalisation query;
  // The upstream receives the normalised target too (`forward: normalised`), so what is
  // stored is exactly the answer to the key; by default it gets the query as the client sent it.
  bool forward_normalised = false;
  bool operator==(const CacheKeyActions&) const = default;
};

// Cache-Control value sent to clients, by status class of the response. An unset slot means
// "leave the upstream's header as it is". A 304 uses the 2xx value (it describes the same
// representation as the 200 would, RFC 9110 §15.4.5). A config that gives one string for every
// status stores it in `other`.
struct CacheControlRewrite {
  std::optional<std::string> status_2xx;
  std::optional<std::string> status_3xx;
  std::optional<std::string> status_4xx;
  std::optional<std::string> status_5xx;
  std::optional<std::string> other;  // any class without its own slot
  bool empty() const { return !status_2xx && !status_3xx && !status_4xx && !status_5xx && !other; }
  // The value for `status`, or nullptr to leave the header alone.
  const std::string* for_status(int status) const;
  bool operator==(const CacheControlRewrite&) const = default;
};

// A prefix to drop from the cache when a request matching the rule succeeds.
struct InvalidateTarget {
  enum class Kind {
    Literal,  // `value` is the prefix
    Path,     // "$path": the request path itself (and everything under it)
    Parent,   // "$parent": the path minus its last segment ("/api/items/42" -> "/api/items")
  };
  Kind kind = Kind::Literal;
  std::string value;
  bool operator==(const InvalidateTarget&) const = default;
};

// Response header edits. Inherited from `defaults` and accumulated: a rule's edits are added to
// the defaults', and any name the rule mentions drops the defaults' entries for that name.
// The loader refuses hop-by-hop names and fields etagd writes itself (Content-Length, Date, Age,
// Cache-Control, ETag) in `set`/`add`.
struct HeaderEdits {
  std::vector<std::string> remove;                           // field names
  std::vector<std::pair<std::string, std::string>> set;      // replace or add
  std::vector<std::pair<std::string, std::string>> add;      // add another line
  bool empty() const { return remove.empty() && set.empty() && add.empty(); }
  bool operator==(const HeaderEdits&) const = default;
};

struct RuleActions {
  CacheMode cache = CacheMode::Store;
  Ttl ttl;
  CacheKeyActions cache_key;
  std::vector<std::string> key_headers;  // lowercase field names
  // Cookie names (case-sensitive, RFC 6265 §4.1.1) whose values partition the cache; other
  // cookies in the request (tracking, preferences) do not fragment it.
  std::vector<std::string> key_cookies;
  CacheControlRewrite cache_control;
  std::vector<InvalidateTarget> invalidate;
  HeaderEdits headers;
  EtagPolicy etag = EtagPolicy::Preserve;
  RangePolicy range = RangePolicy::Whole;
  // The operator's explicit "store it anyway" (nginx: proxy_ignore_headers Cache-Control
  // Expires): the upstream's Cache-Control and Expires no longer stop storing (private,
  // no-store) or shorten the ttl. Needs a fixed ttl. Set-Cookie and Vary: * still prevent
  // storing: a shared cache must never hand one client's cookie to another.
  bool ignore_upstream_cache_control = false;
  std::chrono::seconds stale_if_error{0};          // serve stale on upstream failure, up to
  std::chrono::seconds stale_while_revalidate{0};  // serve stale while one request refreshes
  CompressPolicy compress;  // codings etagd produces itself (off unless configured)
};

struct Rule {
  std::string name;  // "rules[3]" unless named
  RuleMatch match;
  RuleActions actions;
  int line = 0;  // in the config file, for messages
};

}  // namespace etagd::config
