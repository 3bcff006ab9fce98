// Fuzz target: whether a response may be stored and for how long (src/cache/freshness.h), and
// the cache entry built from it (cache_entry.h), given arbitrary upstream headers. The input is
// a readable header block, one field per line:
//     Cache-Control: max-age=60          a response field
//     > Authorization: Bearer x          a field of the request that fetched it
//     @status: 200  @method: GET  @now: 784111777  @delay: 2     the exchange
//     @ttl: 60  @stale-if-error: 30  @stale-while-revalidate: 10  a rule ttl and stale windows
//     @authorization  @keyed  @ignore-cache-control              flags (see StorabilityInput)
// Checked: every "must not store" of RFC 9111 holds whatever else the headers say, the
// freshness numbers stay in range, and an entry built from the response reports them back,
// ages monotonically, and matches the request it was fetched for.
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "cache/cache_entry.h"
#include "cache/cache_key.h"
#include "cache/freshness.h"
#include "fuzz_check.h"
#include "http/cache_control.h"
#include "http/header_list.h"
#include "http/http_date.h"
#include "http/method.h"
#include "http/token.h"

namespace cache = etagd::cache;
namespace http = etagd::http;

namespace {

constexpr int64_t kDeltaCap = int64_t{1} << 31;

struct Scenario {
  http::HeaderList response;
  http::HeaderList request;
  cache::StorabilityInput storability;
  cache::FreshnessPolicy policy;
  int64_t now = 784111777;
  int64_t delay = 1;
};

std::optional<int64_t> number(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Splits "name: value"; the views point into `line`.
std::pair<std::string_view, std::string_view> split_field(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return {http::trim_ows(line), {}};
  return {http::trim_ows(line.substr(0, colon)), http::trim_ows(line.substr(colon + 1))};
}

void read_setting(std::string_view name, std::string_view value, Scenario& s) {
  std::optional<int64_t> n = number(value);
  auto bounded = [&](int64_t lo, int64_t hi) { return std::clamp<int64_t>(n.value_or(0), lo, hi); };
  if (name == "status") {
    s.storability.status = static_cast<int>(bounded(0, 1000));
  } else if (name == "method") {
    s.storability.method = http::parse_method(value);
  } else if (name == "now") {
    s.now = bounded(0, int64_t{1} << 40);  // a clock, not an attacker: years 1970-36000
  } else if (name == "delay") {
    s.delay = bounded(0, 1 << 20);
  } else if (name == "ttl") {
    s.policy.ttl = std::chrono::seconds(bounded(-kDeltaCap, 4 * kDeltaCap));
    s.storability.rule_ttl = true;
  } else if (name == "stale-if-error") {
    s.policy.stale_if_error = std::chrono::seconds(bounded(0, kDeltaCap));
  } else if (name == "stale-while-revalidate") {
    s.policy.stale_while_revalidate = std::chrono::seconds(bounded(0, kDeltaCap));
  } else if (name == "authorization") {
    s.storability.request_has_authorization = true;
  } else if (name == "keyed") {
    s.storability.keyed_on_authorization = true;
  } else if (name == "ignore-cache-control") {
    s.storability.ignore_cache_control = true;
  }
}

Scenario read_scenario(std::string_view input) {
  Scenario s;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with('@')) {
      auto [name, value] = split_field(line.substr(1));
      read_setting(name, value, s);
    } else if (line.starts_with('>')) {
      auto [name, value] = split_field(line.substr(1));
      s.request.add(name, value);
    } else if (!line.empty()) {
      auto [name, value] = split_field(line);
      s.response.add(name, value);
    }
  }
  return s;
}

bool any_vary_star(const http::HeaderList& headers) {
  bool star = false;
  for (const auto& f : headers) {
    if (!http::iequals(f.name, "vary")) continue;
    http::for_each_list_member(f.value, [&](std::string_view m) {
      star = star || m == "*";
      return true;
    });
  }
  return star;
}

void check_storability(const Scenario& s, const http::CacheControl& cc, std::string_view why) {
  static constexpr std::string_view kReasons[] = {
      "",        "method",     "status", "server error",  "no-store",
      "private", "set-cookie", "vary *", "authorization", "no validator or freshness"};
  FUZZ_CHECK(std::find(std::begin(kReasons), std::end(kReasons), why) != std::end(kReasons));
  const cache::StorabilityInput& in = s.storability;
  const bool stored = why.empty();
  if (!stored) return;
  // RFC 9111 §3 and §3.5, and what etagd documents: none of these is ever stored.
  FUZZ_CHECK(in.method == http::Method::Get);
  FUZZ_CHECK(in.status >= 200 && in.status < 500 && in.status != 206 && in.status != 304);
  FUZZ_CHECK(in.ignore_cache_control || (!cc.no_store && !cc.private_));
  // A Set-Cookie is stored only when a qualified no-cache or private names it: the proxy then
  // removes it from what it stores (RFC 9111 §5.2.2.4, §5.2.2.7).
  FUZZ_CHECK(!s.response.contains("set-cookie") ||
             std::any_of(cc.unshared_fields.begin(), cc.unshared_fields.end(),
                         [](std::string_view n) { return http::iequals(n, "set-cookie"); }));
  FUZZ_CHECK(!any_vary_star(s.response));
  if (in.request_has_authorization && !in.keyed_on_authorization) {
    FUZZ_CHECK(cc.public_ || cc.s_maxage || cc.must_revalidate);
  }
  static constexpr int kRuleTtlStatuses[] = {200, 203, 204, 300, 301, 308, 404, 410};
  if (in.rule_ttl) {
    FUZZ_CHECK(std::find(std::begin(kRuleTtlStatuses), std::end(kRuleTtlStatuses), in.status) !=
               std::end(kRuleTtlStatuses));
  } else {
    bool explicit_freshness = cc.s_maxage || cc.max_age || s.response.contains("expires");
    bool validator = s.response.contains("etag") || s.response.contains("last-modified");
    FUZZ_CHECK(explicit_freshness || validator);
  }
}

// The checks below compare plain second counts: a duration's, or an instant's since the epoch.
int64_t n(std::chrono::seconds d) { return d.count(); }
int64_t n(etagd::base::WallSeconds t) { return t.time_since_epoch().count(); }
etagd::base::WallSeconds wall(int64_t unix_seconds) {
  return etagd::base::WallSeconds(std::chrono::seconds(unix_seconds));
}

void check_freshness(const Scenario& s, const http::CacheControl& cc, const cache::Freshness& f) {
  FUZZ_CHECK(n(f.lifetime) >= 0 && n(f.lifetime) <= kDeltaCap);
  FUZZ_CHECK(n(f.age_value) >= 0 && n(f.age_value) <= kDeltaCap);
  FUZZ_CHECK(n(f.stale_if_error) >= 0 && n(f.stale_while_revalidate) >= 0);
  FUZZ_CHECK(n(f.response_time) == s.now && n(f.request_time) == s.now - s.delay);
  std::optional<int64_t> date = http::parse_http_date(s.response.get("date"));
  FUZZ_CHECK(n(f.date_value) == date.value_or(s.now));
  if (s.policy.ttl) {
    FUZZ_CHECK(n(f.lifetime) == std::clamp<int64_t>(n(*s.policy.ttl), 0, kDeltaCap));
    FUZZ_CHECK(!f.must_revalidate && !f.no_cache && f.lifetime_from_arrival);
  } else {
    FUZZ_CHECK(!f.lifetime_from_arrival);
    if (cc.s_maxage) FUZZ_CHECK(n(f.lifetime) == *cc.s_maxage && f.must_revalidate);
    if (!cc.s_maxage && cc.max_age) FUZZ_CHECK(n(f.lifetime) == *cc.max_age);
    if (cc.no_cache) FUZZ_CHECK(f.no_cache);
    if (cc.must_revalidate || cc.proxy_revalidate) FUZZ_CHECK(f.must_revalidate);
  }
}

// The entry the proxy would store (exchange.cpp): response fields as a block, the request's
// values of the fields the response varies on.
cache::EntryRef build_entry(const Scenario& s, const cache::Freshness& f) {
  cache::ResponseToStore r;
  r.status = s.storability.status;
  for (const auto& field : s.response) {
    r.header_block.append(field.name).append(": ").append(field.value).append("\r\n");
  }
  r.etag = std::string(s.response.get("etag"));
  r.etag_from_upstream = !r.etag.empty();
  if (std::string_view lm = s.response.get("last-modified"); !lm.empty()) {
    r.last_modified = http::parse_http_date(lm);
  }
  r.freshness = f;
  for (const auto& field : s.response) {
    if (!http::iequals(field.name, "vary")) continue;
    http::for_each_list_member(field.value, [&](std::string_view member) {
      std::string name = http::lowercase(member);
      bool present = std::any_of(r.variant.begin(), r.variant.end(),
                                 [&](const cache::VaryField& v) { return v.name == name; });
      // The value the proxy stores: canonical for Accept-Encoding, the raw field otherwise.
      if (!present) r.variant.push_back({name, cache::variant_value(s.request, name)});
      return true;
    });
  }
  r.body = "body";
  r.seq = 1;
  return cache::CacheEntry::make("example.com/fuzz", std::move(r));
}

void check_entry(const Scenario& s, const cache::Freshness& f, const cache::CacheEntry& e) {
  cache::Freshness back = e.freshness();
  FUZZ_CHECK(n(back.lifetime) == n(f.lifetime) && n(back.age_value) == n(f.age_value));
  FUZZ_CHECK(n(back.response_time) == n(f.response_time));
  FUZZ_CHECK(back.must_revalidate == f.must_revalidate && back.no_cache == f.no_cache);
  FUZZ_CHECK(back.lifetime_from_arrival == f.lifetime_from_arrival);
  int64_t skew = n(f.date_value) - n(f.response_time);
  if (skew > -kDeltaCap && skew < kDeltaCap) {
    FUZZ_CHECK(n(back.date_value) == n(f.date_value));
  }
  FUZZ_CHECK(e.status() == std::clamp(s.storability.status, 0, 999));
  FUZZ_CHECK(e.matches_variant(s.request));  // the request that fetched it gets it back
  FUZZ_CHECK(e.same_variant_as(e));

  // Age only grows; freshness, once lost, does not come back.
  const int64_t t0 = s.now;
  std::array<int64_t, 7> times = {t0,
                                  t0 + 1,
                                  t0 + n(f.lifetime) - 1,
                                  t0 + n(f.lifetime),
                                  t0 + n(f.lifetime) + n(f.stale_while_revalidate),
                                  t0 + n(f.lifetime) + n(f.stale_if_error) + 1,
                                  t0 + (int64_t{1} << 41)};
  std::sort(times.begin(), times.end());
  int64_t previous_age = -1;
  bool was_fresh = true;
  for (int64_t t : times) {
    if (t < t0) continue;
    int64_t age = n(e.current_age(wall(t)));
    FUZZ_CHECK(age >= n(f.age_value) && age >= previous_age);
    previous_age = age;
    // Freshness is judged by freshness_age: current_age itself, or under a rule ttl (counted
    // from arrival) the origin's Age plus residence, which never exceeds current_age.
    int64_t judged_age = n(e.freshness_age(wall(t)));
    FUZZ_CHECK(judged_age >= n(f.age_value) && judged_age <= age);
    if (!f.lifetime_from_arrival) FUZZ_CHECK(judged_age == age);
    bool fresh = e.is_fresh(wall(t));
    FUZZ_CHECK(!(fresh && !was_fresh));
    was_fresh = fresh;
    if (fresh) FUZZ_CHECK(!f.no_cache && judged_age < n(f.lifetime));
    if (f.must_revalidate || f.no_cache) {
      FUZZ_CHECK(!e.usable_on_error(wall(t)) && !e.usable_while_revalidating(wall(t)));
    } else if (fresh) {
      FUZZ_CHECK(e.usable_on_error(wall(t)) && e.usable_while_revalidating(wall(t)));
    }
  }

  // An upstream 304 refreshes the headers and keeps body and variant (RFC 9111 §4.3.4).
  cache::ResponseToStore update;
  update.header_block = "Cache-Control: max-age=5\r\n";
  update.freshness = f;
  update.seq = 2;
  cache::EntryRef refreshed = cache::CacheEntry::refreshed(e, std::move(update));
  FUZZ_CHECK(refreshed->body() == e.body() && refreshed->status() == e.status());
  FUZZ_CHECK(refreshed->same_variant_as(e) && refreshed->matches_variant(s.request));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Scenario s = read_scenario(std::string_view(reinterpret_cast<const char*>(data), size));
  http::CacheControl cc;
  for (const auto& f : s.response) {
    if (http::iequals(f.name, "cache-control")) http::parse_cache_control(f.value, cc);
  }
  s.storability.response_cc = &cc;
  s.storability.response_headers = &s.response;
  check_storability(s, cc, cache::why_not_storable(s.storability));

  cache::Freshness f = cache::compute_freshness(s.response, cc, s.policy,
                                                wall(s.now - s.delay), wall(s.now));
  check_freshness(s, cc, f);
  cache::EntryRef entry = build_entry(s, f);
  check_entry(s, f, *entry);
  return 0;
}
