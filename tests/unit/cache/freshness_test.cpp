#include "cache/freshness.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <utility>

#include "http/http_date.h"
#include "http/token.h"
#include "unit/wall_time.h"

using etagd::testing::at;
using namespace std::chrono_literals;

using etagd::cache::compute_freshness;
using etagd::cache::Freshness;
using etagd::cache::FreshnessPolicy;
using etagd::cache::StorabilityInput;
using etagd::cache::why_not_storable;
using etagd::http::CacheControl;
using etagd::http::HeaderList;
using etagd::http::Method;

namespace {

using Fields = std::initializer_list<std::pair<const char*, const char*>>;

HeaderList headers(Fields fields) {
  HeaderList h;
  for (const auto& [name, value] : fields) h.add(name, value);
  return h;
}

CacheControl cache_control(const HeaderList& h) {
  CacheControl cc;
  for (const auto& f : h) {
    if (etagd::http::iequals(f.name, "cache-control")) {
      etagd::http::parse_cache_control(f.value, cc);
    }
  }
  return cc;
}

// Freshness of a response with these fields, requested at 1000 and received at 1001.
Freshness origin(Fields fields, FreshnessPolicy policy = {}) {
  HeaderList h = headers(fields);
  return compute_freshness(h, cache_control(h), policy, at(1000), at(1001));
}

// "Sun, 06 Nov 1994 08:49:37 GMT" is 784111777.
constexpr const char* kDate = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr int64_t kDateSeconds = 784111777;

std::string_view storable(Fields fields, int status = 200, bool rule_ttl = false,
                          Method method = Method::Get, bool authorization = false,
                          bool keyed_on_authorization = false) {
  static HeaderList h;
  static CacheControl cc;
  h = headers(fields);
  cc = cache_control(h);
  StorabilityInput in;
  in.method = method;
  in.status = status;
  in.response_cc = &cc;
  in.response_headers = &h;
  in.request_has_authorization = authorization;
  in.keyed_on_authorization = keyed_on_authorization;
  in.rule_ttl = rule_ttl;
  return why_not_storable(in);
}

}  // namespace

TEST_CASE("times and Date/Age are recorded for the age calculation") {
  Freshness f = origin({{"Date", kDate}, {"Age", "12"}, {"Cache-Control", "max-age=5"}});
  CHECK(f.request_time == at(1000));
  CHECK(f.response_time == at(1001));
  CHECK(f.date_value == at(kDateSeconds));
  CHECK(f.age_value == 12s);
}

TEST_CASE("a missing or invalid Date counts as the response time") {
  CHECK(origin({}).date_value == at(1001));
  CHECK(origin({{"Date", "yesterday"}}).date_value == at(1001));
}

TEST_CASE("Age uses its first member and ignores an invalid value (RFC 9111 5.1)") {
  CHECK(origin({{"Age", "10, 20"}}).age_value == 10s);
  CHECK(origin({{"Age", "abc"}}).age_value == 0s);
  CHECK(origin({{"Age", "-3"}}).age_value == 0s);
  CHECK(origin({{"Age", "99999999999999"}}).age_value == std::chrono::seconds(int64_t{1} << 31));
  CHECK(origin({}).age_value == 0s);
}

TEST_CASE("a shared cache takes s-maxage over max-age over Expires (RFC 9111 4.2.1)") {
  CHECK(origin({{"Cache-Control", "max-age=10, s-maxage=20"}, {"Expires", kDate}}).lifetime == 20s);
  CHECK(origin({{"Cache-Control", "max-age=10"},
                {"Date", kDate},
                {"Expires", "Sun, 06 Nov 1994 09:49:37 GMT"}})
            .lifetime == 10s);
  CHECK(origin({{"Date", kDate}, {"Expires", "Sun, 06 Nov 1994 09:49:37 GMT"}}).lifetime == 3600s);
}

TEST_CASE("Expires is measured from Date, or from the response time without one") {
  CHECK(origin({{"Date", kDate}, {"Expires", "Sun, 06 Nov 1994 08:50:37 GMT"}}).lifetime == 60s);
  // No Date: measured from the response time, 1001.
  CHECK(origin({{"Expires", kDate}}).lifetime == std::chrono::seconds(kDateSeconds - 1001));
  CHECK(origin({{"Date", "Sun, 06 Nov 1994 08:50:37 GMT"}, {"Expires", kDate}}).lifetime == 0s);
}

TEST_CASE("an invalid Expires such as 0 means already expired (RFC 9111 5.3)") {
  CHECK(origin({{"Expires", "0"}}).lifetime == 0s);
  CHECK(origin({{"Date", kDate}, {"Expires", kDate}, {"Expires", kDate}}).lifetime == 0s);
}

TEST_CASE("without explicit freshness and with heuristics off the lifetime is zero") {
  CHECK(origin({{"Last-Modified", kDate}}).lifetime == 0s);
  CHECK(origin({{"Cache-Control", "public"}}).lifetime == 0s);
  CHECK_FALSE(origin({{"Last-Modified", kDate}}).heuristic);
}

namespace {

FreshnessPolicy heuristics(int64_t max, int status = 200) {
  FreshnessPolicy p;
  p.heuristic_max = std::chrono::seconds(max);
  p.status = status;
  return p;
}

// kDate plus `seconds`, as an HTTP date.
std::string date_after(int64_t seconds) {
  char out[etagd::http::kHttpDateLength];
  etagd::http::format_http_date(kDateSeconds + seconds, out);
  return std::string(out, sizeof out);
}

}  // namespace

TEST_CASE("heuristic freshness is 10% of the time since Last-Modified (RFC 9111 4.2.2)") {
  std::string date = date_after(10'000);
  Freshness f = origin({{"Date", date.c_str()}, {"Last-Modified", kDate}}, heuristics(3600));
  CHECK(f.lifetime == 1000s);
  CHECK(f.heuristic);
}

TEST_CASE("heuristic freshness is capped by heuristic_max") {
  std::string date = date_after(10 * 86'400);
  CHECK(origin({{"Date", date.c_str()}, {"Last-Modified", kDate}}, heuristics(3600)).lifetime ==
        3600s);
}

TEST_CASE("explicit freshness, even an expired Expires, leaves no room for a heuristic") {
  std::string date = date_after(10'000);
  Freshness with_max_age = origin(
      {{"Date", date.c_str()}, {"Last-Modified", kDate}, {"Cache-Control", "max-age=5"}},
      heuristics(3600));
  CHECK(with_max_age.lifetime == 5s);
  CHECK_FALSE(with_max_age.heuristic);
  Freshness expired =
      origin({{"Date", date.c_str()}, {"Last-Modified", kDate}, {"Expires", "0"}}, heuristics(3600));
  CHECK(expired.lifetime == 0s);
  CHECK_FALSE(expired.heuristic);
}

TEST_CASE("only heuristically cacheable statuses get a heuristic lifetime (RFC 9110 15.1)") {
  std::string date = date_after(10'000);
  for (int status : {200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501}) {
    CAPTURE(status);
    CHECK(origin({{"Date", date.c_str()}, {"Last-Modified", kDate}}, heuristics(3600, status))
              .heuristic);
  }
  for (int status : {302, 307, 400, 403}) {
    CAPTURE(status);
    CHECK(origin({{"Date", date.c_str()}, {"Last-Modified", kDate}}, heuristics(3600, status))
              .lifetime == 0s);
  }
}

TEST_CASE("a Last-Modified not before Date, or none, gives no heuristic lifetime") {
  std::string later = date_after(60);
  CHECK(origin({{"Date", kDate}, {"Last-Modified", later.c_str()}}, heuristics(3600)).lifetime ==
        0s);
  CHECK(origin({{"Date", kDate}, {"Last-Modified", kDate}}, heuristics(3600)).lifetime == 0s);
  CHECK(origin({{"Date", kDate}}, heuristics(3600)).lifetime == 0s);
}

TEST_CASE("a rule ttl leaves no room for a heuristic") {
  FreshnessPolicy p = heuristics(3600);
  p.ttl = 30s;
  std::string date = date_after(10'000);
  Freshness f = origin({{"Date", date.c_str()}, {"Last-Modified", kDate}}, p);
  CHECK(f.lifetime == 30s);
  CHECK_FALSE(f.heuristic);
}

TEST_CASE("must-revalidate, proxy-revalidate and s-maxage forbid serving stale") {
  CHECK(origin({{"Cache-Control", "max-age=5, must-revalidate"}}).must_revalidate);
  CHECK(origin({{"Cache-Control", "max-age=5, proxy-revalidate"}}).must_revalidate);
  CHECK(origin({{"Cache-Control", "s-maxage=5"}}).must_revalidate);
  CHECK(!origin({{"Cache-Control", "max-age=5"}}).must_revalidate);
}

TEST_CASE("no-cache from the upstream means revalidate every use") {
  CHECK(origin({{"Cache-Control", "no-cache, max-age=60"}}).no_cache);
  CHECK(!origin({{"Cache-Control", "max-age=60"}}).no_cache);
}

TEST_CASE("stale windows are the larger of the rule's and the upstream's") {
  FreshnessPolicy p;
  p.stale_if_error = 100s;
  p.stale_while_revalidate = 5s;
  Freshness f =
      origin({{"Cache-Control", "max-age=1, stale-if-error=50, stale-while-revalidate=30"}}, p);
  CHECK(f.stale_if_error == 100s);
  CHECK(f.stale_while_revalidate == 30s);
}

TEST_CASE("a rule ttl replaces the upstream's freshness and its revalidation demands") {
  FreshnessPolicy p;
  p.ttl = 300s;
  p.stale_if_error = 60s;
  Freshness f =
      origin({{"Date", kDate},
              {"Age", "4"},
              {"Cache-Control", "no-cache, must-revalidate, max-age=1, stale-if-error=999"}},
             p);
  CHECK(f.lifetime == 300s);
  CHECK(f.stale_if_error == 60s);
  CHECK(!f.no_cache);
  CHECK(!f.must_revalidate);
  CHECK(f.age_value == 4s);  // the age still counts: an upstream cache held it that long
  CHECK(f.date_value == at(kDateSeconds));
}

TEST_CASE("a response with explicit freshness is storable") {
  CHECK(storable({{"Cache-Control", "max-age=60"}}) == "");
  CHECK(storable({{"Cache-Control", "s-maxage=60"}}) == "");
  CHECK(storable({{"Expires", kDate}}) == "");
  CHECK(storable({{"Cache-Control", "max-age=60"}}, 302) == "");  // any non-error status may
}

TEST_CASE("a server error is never stored, whatever freshness it claims") {
  for (int status : {500, 502, 503, 504}) {
    CAPTURE(status);
    CHECK(storable({{"Cache-Control", "max-age=60"}}, status) == "server error");
    CHECK(storable({{"Cache-Control", "max-age=60"}}, status, true) == "server error");
  }
}

TEST_CASE("no-store, private, Set-Cookie and Vary: * are never stored, rule or not") {
  for (bool rule : {false, true}) {
    CAPTURE(rule);
    CHECK(storable({{"Cache-Control", "no-store, max-age=60"}}, 200, rule) == "no-store");
    CHECK(storable({{"Cache-Control", "private, max-age=60"}}, 200, rule) == "private");
    // The qualified forms withhold only the fields they name (RFC 9111 §5.2.2.7).
    CHECK(storable({{"Cache-Control", "private=\"x\", max-age=60"}}, 200, rule) == "");
    CHECK(storable({{"Cache-Control", "private=\"Set-Cookie\", max-age=60"},
                    {"Set-Cookie", "a=b"}},
                   200, rule) == "");
    CHECK(storable({{"Cache-Control", "no-cache=\"set-cookie\", max-age=60"},
                    {"Set-Cookie", "a=b"}},
                   200, rule) == "");
    CHECK(storable({{"Cache-Control", "max-age=60"}, {"Set-Cookie", "a=b"}}, 200, rule) ==
          "set-cookie");
    CHECK(storable({{"Cache-Control", "max-age=60"}, {"Vary", "*"}}, 200, rule) == "vary *");
    CHECK(storable({{"Cache-Control", "max-age=60"}, {"Vary", "Accept, *"}}, 200, rule) ==
          "vary *");
    CHECK(storable({{"Cache-Control", "max-age=60"}, {"Vary", "Accept"}, {"Vary", "*"}}, 200,
                   rule) == "vary *");
  }
}

TEST_CASE("only GET responses are stored") {
  for (Method m : {Method::Head, Method::Post, Method::Put, Method::Delete, Method::Other}) {
    CHECK(storable({{"Cache-Control", "max-age=60"}}, 200, true, m) == "method");
  }
}

TEST_CASE("interim, partial and 304 responses are not stored") {
  CHECK(storable({{"Cache-Control", "max-age=60"}}, 100) == "status");
  CHECK(storable({{"Cache-Control", "max-age=60"}}, 206) == "status");
  CHECK(storable({{"Cache-Control", "max-age=60"}}, 304) == "status");
  CHECK(storable({{"Cache-Control", "max-age=60"}}, 206, true) == "status");
}

TEST_CASE("a request with Authorization is stored only if the response allows it (RFC 9111 3.5)") {
  auto with_auth = [](Fields fields, bool keyed = false) {
    return storable(fields, 200, false, Method::Get, true, keyed);
  };
  CHECK(with_auth({{"Cache-Control", "max-age=60"}}) == "authorization");
  CHECK(with_auth({{"Cache-Control", "max-age=60, public"}}) == "");
  CHECK(with_auth({{"Cache-Control", "s-maxage=60"}}) == "");
  CHECK(with_auth({{"Cache-Control", "max-age=60, must-revalidate"}}) == "");
  CHECK(storable({{"Cache-Control", "max-age=60"}}, 200, true, Method::Get, true) ==
        "authorization");
}

TEST_CASE("a request with Cookie is stored only if the response allows it or the rule keys on it") {
  static HeaderList h;
  static CacheControl cc;
  auto with_cookie = [](Fields fields, bool keyed, bool rule_ttl = false) {
    h = headers(fields);
    cc = cache_control(h);
    StorabilityInput in;
    in.response_cc = &cc;
    in.response_headers = &h;
    in.request_has_cookie = true;
    in.keyed_on_cookie = keyed;
    in.rule_ttl = rule_ttl;
    return why_not_storable(in);
  };
  CHECK(with_cookie({{"Cache-Control", "max-age=60"}}, false) == "cookie");
  CHECK(with_cookie({{"Cache-Control", "max-age=60"}}, false, true) == "cookie");  // even a rule ttl
  CHECK(with_cookie({{"Cache-Control", "max-age=60, public"}}, false) == "");
  CHECK(with_cookie({{"Cache-Control", "s-maxage=60"}}, false) == "");
  CHECK(with_cookie({{"Cache-Control", "max-age=60, must-revalidate"}}, false) == "");
  CHECK(with_cookie({{"Cache-Control", "max-age=60"}}, true) == "");
}

TEST_CASE("a rule keyed on Authorization stores per-credential responses") {
  CHECK(storable({{"Cache-Control", "max-age=60"}}, 200, false, Method::Get, true, true) == "");
  CHECK(storable({}, 200, true, Method::Get, true, true) == "");
}

TEST_CASE("without explicit freshness a response needs a validator to be stored") {
  CHECK(storable({}) == "no validator or freshness");
  CHECK(storable({{"Cache-Control", "public"}}) == "no validator or freshness");
  CHECK(storable({{"ETag", "\"a\""}}) == "");
  CHECK(storable({{"Last-Modified", kDate}}) == "");
  CHECK(storable({{"ETag", "\"a\""}, {"Cache-Control", "no-cache"}}) == "");
  CHECK(storable({{"ETag", "\"a\""}}, 404) == "");
}

TEST_CASE("without explicit freshness only heuristically cacheable statuses are stored") {
  CHECK(storable({{"ETag", "\"a\""}}, 302) == "status");
  CHECK(storable({{"ETag", "\"a\""}}, 405) == "");  // heuristically cacheable
  CHECK(storable({{"ETag", "\"a\""}}, 403) == "status");
  CHECK(storable({{"ETag", "\"a\""}, {"Cache-Control", "public"}}, 302) == "");
  CHECK(storable({{"Cache-Control", "max-age=60"}}, 302) == "");
}

TEST_CASE("a rule ttl stores successes, permanent redirects and not-found without freshness") {
  for (int status : {200, 203, 204, 300, 301, 308, 404, 410}) {
    CAPTURE(status);
    CHECK(storable({}, status, true) == "");
  }
  for (int status : {201, 302, 303, 307, 400, 401, 403, 429}) {
    CAPTURE(status);
    CHECK(storable({{"Cache-Control", "max-age=60"}}, status, true) == "status");
  }
}

TEST_CASE("missing Cache-Control and headers are treated as empty") {
  StorabilityInput in;
  CHECK(why_not_storable(in) == "no validator or freshness");
  in.rule_ttl = true;
  CHECK(why_not_storable(in) == "");
}
