#include "cache/freshness.h"

#include <algorithm>
#include <array>

#include "http/http_date.h"
#include "http/token.h"

namespace etagd::cache {

namespace {

constexpr int64_t kDeltaCap = int64_t{1} << 31;  // RFC 9111 §1.2.2

// RFC 9111 §5.1: a list-valued Age uses its first member; an invalid one is ignored.
int64_t parse_age(const http::HeaderList& headers) {
  std::string_view value = headers.get("age");
  int64_t age = 0;
  bool valid = false;
  http::for_each_list_member(value, [&](std::string_view first) {
    valid = !first.empty();
    for (char c : first) {
      if (c < '0' || c > '9') {
        valid = false;
        break;
      }
      if (age < kDeltaCap) age = age * 10 + (c - '0');
    }
    return false;  // only the first member counts
  });
  return valid ? std::min(age, kDeltaCap) : 0;
}

// RFC 9111 §5.3: Expires - Date, where an Expires that does not parse (classically "0") is a
// time in the past. Several Expires lines are not a valid singleton value either.
int64_t lifetime_from_expires(const http::HeaderList& headers, int64_t date_value) {
  if (headers.count("expires") != 1) return 0;
  std::optional<int64_t> expires = http::parse_http_date(headers.get("expires"));
  if (!expires) return 0;
  return std::clamp<int64_t>(*expires - date_value, 0, kDeltaCap);
}

// RFC 9110 §15.1: status codes a cache may store without explicit freshness information.
constexpr std::array kHeuristicallyCacheable = {200, 203, 204, 300, 301, 308,
                                                404, 405, 410, 414, 501};
// The statuses a rule ttl may store (a deliberately short list: successes, permanent
// redirects and "not there" answers; never temporary errors).
constexpr std::array kStorableUnderRuleTtl = {200, 203, 204, 300, 301, 308, 404, 410};

template <size_t N>
bool listed(const std::array<int, N>& statuses, int status) {
  return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

bool varies_on_everything(const http::HeaderList& headers) {
  for (const http::HeaderField& f : headers) {
    if (!http::iequals(f.name, "vary")) continue;
    bool star = false;
    http::for_each_list_member(f.value, [&](std::string_view member) {
      star = member == "*";
      return !star;
    });
    if (star) return true;
  }
  return false;
}

}  // namespace

Freshness compute_freshness(const http::HeaderList& response_headers, const http::CacheControl& cc,
                            const FreshnessPolicy& policy, base::WallSeconds request_time,
                            base::WallSeconds response_time) {
  using std::chrono::seconds;
  Freshness f;
  f.request_time = request_time;
  f.response_time = response_time;
  std::optional<int64_t> date = http::parse_http_date(response_headers.get("date"));
  f.date_value = date ? base::WallSeconds(seconds(*date)) : response_time;
  f.age_value = seconds(parse_age(response_headers));

  if (policy.ttl) {
    f.lifetime = std::clamp(*policy.ttl, seconds(0), seconds(kDeltaCap));
    f.lifetime_from_arrival = true;
    f.stale_if_error = policy.stale_if_error;
    f.stale_while_revalidate = policy.stale_while_revalidate;
    return f;
  }
  int64_t date_value = f.date_value.time_since_epoch().count();
  // RFC 9111 §4.2.1: a shared cache prefers s-maxage, then max-age, then Expires.
  if (cc.s_maxage) {
    f.lifetime = seconds(*cc.s_maxage);
  } else if (cc.max_age) {
    f.lifetime = seconds(*cc.max_age);
  } else if (!cc.targeted && response_headers.contains("expires")) {
    // RFC 9213 §2.2: a targeted field replaces Expires too
    f.lifetime = seconds(lifetime_from_expires(response_headers, date_value));
  } else if (policy.heuristic_max > seconds(0) && listed(kHeuristicallyCacheable, policy.status)) {
    std::optional<int64_t> lm = http::parse_http_date(response_headers.get("last-modified"));
    if (lm && *lm < date_value) {
      f.lifetime = std::min(seconds((date_value - *lm) / 10), policy.heuristic_max);
      f.heuristic = f.lifetime > seconds(0);
    }
  }
  f.stale_if_error = std::max(policy.stale_if_error, seconds(cc.stale_if_error.value_or(0)));
  f.stale_while_revalidate =
      std::max(policy.stale_while_revalidate, seconds(cc.stale_while_revalidate.value_or(0)));
  f.must_revalidate = cc.must_revalidate || cc.proxy_revalidate || cc.s_maxage.has_value();
  f.no_cache = cc.no_cache;
  return f;
}

std::string_view why_not_storable(const StorabilityInput& in) {
  static const http::CacheControl kNoDirectives;
  static const http::HeaderList kNoHeaders;
  const http::CacheControl& cc = in.response_cc ? *in.response_cc : kNoDirectives;
  const http::HeaderList& headers = in.response_headers ? *in.response_headers : kNoHeaders;

  // RFC 9111 §3: only methods the cache understands as cacheable; etagd stores GET responses.
  if (in.method != http::Method::Get) return "method";
  // Final responses only; a 206 is stored only as partial content, checked as the 200 it is
  // part of (proxy/partial_entry.h, §3.3), and a 304 is not a representation to store but an
  // answer to update one with (§4.3.4).
  if (in.status < 200 || in.status > 999 || in.status == 206 || in.status == 304) return "status";
  // A server error describes a moment of the origin, not the resource: serving it from the
  // cache would keep an outage going after the origin recovered (and stale-if-error needs a
  // good response to fall back on, not a stored error). Only an origin that says how long its
  // error stays valid, with no rules to say otherwise, gets it stored.
  if (in.status >= 500) {
    bool explicit_freshness =
        cc.s_maxage || cc.max_age || (!cc.targeted && headers.contains("expires"));
    if (!in.store_fresh_server_errors || in.rule_ttl || !explicit_freshness) return "server error";
  }
  if (cc.no_store && !in.ignore_cache_control) return "no-store";
  // §5.2.2.7: a shared cache must not store it (unless the operator overrides, keyed or not).
  if (cc.private_ && !in.ignore_cache_control) return "private";
  // A qualified no-cache or private naming Set-Cookie lets the rest be stored without it.
  bool set_cookie_unshared = std::any_of(cc.unshared_fields.begin(), cc.unshared_fields.end(),
                                         [](std::string_view n) { return http::iequals(n, "set-cookie"); });
  if (headers.contains("set-cookie") && !set_cookie_unshared) return "set-cookie";
  if (varies_on_everything(headers)) return "vary *";  // §4.1: never matches a later request
  bool shared_by_origin = http::shared_explicitly(cc);
  if (in.request_has_authorization && !in.keyed_on_authorization && !shared_by_origin) {
    return "authorization";  // §3.5
  }
  if (in.request_has_cookie && !in.keyed_on_cookie && !shared_by_origin) return "cookie";
  // A fixed ttl for a class or for every status stores what is safe to reuse without the
  // origin's word; a ttl for a code by name is the operator's word for that code.
  if (in.rule_ttl) {
    return in.rule_names_status || listed(kStorableUnderRuleTtl, in.status) ? "" : "status";
  }

  bool explicit_freshness =
      cc.s_maxage || cc.max_age || (!cc.targeted && headers.contains("expires"));
  if (explicit_freshness) return "";
  if (!cc.public_ && !listed(kHeuristicallyCacheable, in.status)) return "status";
  bool has_validator = headers.contains("etag") || headers.contains("last-modified");
  return has_validator ? "" : "no validator or freshness";
}

}  // namespace etagd::cache
