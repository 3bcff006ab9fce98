// decide(): what an exchange does with a request, from the request, its rule, what the cache
// holds and the time, before anything is sent anywhere.
#include "proxy/decide.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "parsed_message.h"
#include "stored_entry.h"
#include "unit/wall_time.h"

using etagd::testing::at;
using namespace std::chrono_literals;

using etagd::cache::EntryRef;
using etagd::config::CacheMode;
using etagd::config::RuleActions;
using etagd::ops::CacheStatus;
using etagd::proxy::CacheUse;
using etagd::proxy::Lookup;
using etagd::proxy::Plan;
using etagd::proxy::cache_use;
using etagd::proxy::carries_credentials;
using etagd::proxy::credentials_unkeyed;
using etagd::proxy::decide;
using etagd::proxy::may_reuse_for;
using etagd::proxy::testing::ParsedRequest;
using etagd::proxy::testing::StoredEntry;

namespace {

RuleActions rule(CacheMode mode) {
  RuleActions a;
  a.cache = mode;
  return a;
}

const char* kGet = "GET /doc HTTP/1.1\r\nHost: example.com\r\n";

}  // namespace

TEST_CASE("a request uses the cache only for GET and HEAD without content, as its rule says") {
  struct Case {
    const char* request;
    CacheMode mode;
    CacheUse use;
  };
  const Case cases[] = {
      {kGet, CacheMode::Store, CacheUse::Store},
      {"HEAD /doc HTTP/1.1\r\nHost: a\r\n", CacheMode::Store, CacheUse::Store},
      {kGet, CacheMode::Validate, CacheUse::Validate},
      {kGet, CacheMode::Bypass, CacheUse::Pass},
      {"POST /doc HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n", CacheMode::Store, CacheUse::Pass},
      {"PUT /doc HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n", CacheMode::Validate, CacheUse::Pass},
      {"DELETE /doc HTTP/1.1\r\nHost: a\r\n", CacheMode::Store, CacheUse::Pass},
      {"OPTIONS /doc HTTP/1.1\r\nHost: a\r\n", CacheMode::Store, CacheUse::Pass},
      // RFC 9110 §9.3.1: content on a GET has no defined meaning; its answer is never shared.
      {"GET /doc HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n", CacheMode::Store, CacheUse::Pass},
      {"GET /doc HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n", CacheMode::Store,
       CacheUse::Pass},
  };
  for (const Case& c : cases) {
    CAPTURE(c.request);
    ParsedRequest req(c.request);
    CHECK(cache_use(req, rule(c.mode)) == c.use);
  }
}

TEST_CASE("pass-through and validate requests plan without a lookup") {
  ParsedRequest get(kGet);
  Plan bypass = decide(get, rule(CacheMode::Bypass), nullptr, at(1000));
  CHECK(bypass.kind == Plan::Kind::Forward);
  CHECK(bypass.status == CacheStatus::Bypass);
  Plan validate = decide(get, rule(CacheMode::Validate), nullptr, at(1000));
  CHECK(validate.kind == Plan::Kind::Validate);
  CHECK(validate.status == CacheStatus::Miss);
  ParsedRequest post("POST /doc HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n");
  CHECK(decide(post, rule(CacheMode::Store), nullptr, at(1000)).kind == Plan::Kind::Forward);
}

TEST_CASE("a stored request plans by what the cache holds and how old it is") {
  struct Case {
    const char* what;
    std::optional<StoredEntry> stored;  // nothing: a miss
    bool forced_stale;
    int64_t now;
    Plan::Kind kind;
    CacheStatus status;
  };
  StoredEntry plain;  // fresh for 60 s from t=1000, no validator the upstream knows
  StoredEntry validated = plain;
  validated.etag_from_upstream = true;
  StoredEntry dated = plain;
  dated.last_modified = 900;
  StoredEntry swr = validated;
  swr.stale_while_revalidate = 30;
  StoredEntry swr_must = swr;
  swr_must.must_revalidate = true;
  StoredEntry no_cache = validated;
  no_cache.no_cache = true;
  const Case cases[] = {
      {"miss", std::nullopt, false, 1000, Plan::Kind::Fetch, CacheStatus::Miss},
      {"fresh", plain, false, 1059, Plan::Kind::ServeHit, CacheStatus::Hit},
      {"stale at its lifetime", validated, false, 1060, Plan::Kind::Revalidate,
       CacheStatus::Miss},
      {"stale, with Last-Modified only", dated, false, 1100, Plan::Kind::Revalidate,
       CacheStatus::Miss},
      // A content ETag etagd made means nothing upstream: without a validator, fetch again.
      {"stale, no upstream validator", plain, false, 1100, Plan::Kind::Fetch, CacheStatus::Miss},
      {"fresh but forced stale (fleet gap)", validated, true, 1000, Plan::Kind::Revalidate,
       CacheStatus::Miss},
      {"stale within stale-while-revalidate", swr, false, 1080, Plan::Kind::ServeStale,
       CacheStatus::Stale},
      {"stale past stale-while-revalidate", swr, false, 1090, Plan::Kind::Revalidate,
       CacheStatus::Miss},
      {"stale-while-revalidate never when forced stale", swr, true, 1080, Plan::Kind::Revalidate,
       CacheStatus::Miss},
      {"must-revalidate forbids serving stale", swr_must, false, 1080, Plan::Kind::Revalidate,
       CacheStatus::Miss},
      {"no-cache: revalidate before every use", no_cache, false, 1000, Plan::Kind::Revalidate,
       CacheStatus::Miss},
  };
  ParsedRequest get(kGet);
  for (const Case& c : cases) {
    CAPTURE(c.what);
    EntryRef entry = c.stored ? c.stored->make() : EntryRef();
    Lookup lookup{entry.get(), c.forced_stale};
    Plan plan = decide(get, rule(CacheMode::Store), &lookup, at(c.now));
    CHECK(plan.kind == c.kind);
    CHECK(plan.status == c.status);
  }
}

TEST_CASE("a request with credentials is answered only from an entry keyed on them or shared "
          "explicitly, and Authorization or a keyed cookie makes its answer one user's") {
  struct Case {
    const char* what;
    const char* fields;  // the request's, after the Host line
    std::vector<std::string> key_headers;
    std::vector<std::string> key_cookies;
    bool shared_explicitly;
    bool reusable;
    bool credentials;  // carries_credentials()
  };
  const Case cases[] = {
      {"anonymous request", "", {"authorization"}, {"sessionid"}, false, true, false},
      // Not stored then (RFC 9111 §3.5), but still the user's answer.
      {"Authorization, rule keys on nothing", "Authorization: Bearer x\r\n", {}, {}, false,
       false, true},
      {"Authorization, rule keys on a session cookie", "Authorization: Bearer x\r\n", {},
       {"sessionid"}, false, false, true},
      {"Authorization, rule keys on it", "Authorization: Bearer x\r\n", {"authorization"}, {},
       false, true, true},
      {"Authorization, entry shared explicitly", "Authorization: Bearer x\r\n", {}, {}, true,
       true, true},
      {"Cookie, rule keys on nothing", "Cookie: session=1\r\n", {}, {}, false, false, false},
      {"Cookie, rule keys on Authorization only", "Cookie: session=1\r\n", {"authorization"},
       {}, false, false, false},
      {"Cookie, rule keys on a cookie by name", "Cookie: _ga=1; sessionid=a\r\n", {},
       {"sessionid"}, false, true, true},
      {"Cookie without the cookie the rule keys on", "Cookie: _ga=1\r\n", {}, {"sessionid"},
       false, true, false},
      {"Cookie, rule keys on Cookie", "Cookie: session=1\r\n", {"cookie"}, {}, false, true,
       true},
      {"Cookie, entry shared explicitly", "Cookie: session=1\r\n", {}, {}, true, true, false},
      {"both, rule keys on Authorization only", "Authorization: Bearer x\r\nCookie: s=1\r\n",
       {"authorization"}, {}, false, false, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    ParsedRequest req(std::string(kGet) + c.fields);
    RuleActions actions = rule(CacheMode::Store);
    actions.key_headers = c.key_headers;
    actions.key_cookies = c.key_cookies;
    StoredEntry stored;
    stored.shared_explicitly = c.shared_explicitly;
    EntryRef entry = stored.make();
    CHECK(may_reuse_for(req, actions, *entry) == c.reusable);
    CHECK(carries_credentials(req, actions) == c.credentials);
    // Not collapsed with other requests exactly when an entry that said nothing about sharing
    // could not answer it.
    EntryRef unshared = StoredEntry{}.make();
    CHECK(credentials_unkeyed(req, actions) == !may_reuse_for(req, actions, *unshared));
  }
}

TEST_CASE("a waiter is answered with the response fetched while it waited, even if stale") {
  StoredEntry arrived_stale;  // max-age=1 from an origin that took 2 s
  arrived_stale.lifetime = 1;
  arrived_stale.age_value = 2;
  EntryRef entry = arrived_stale.make();
  ParsedRequest get(kGet);
  Lookup plain{entry.get(), false};
  CHECK(decide(get, rule(CacheMode::Store), &plain, at(1000)).kind == Plan::Kind::Fetch);
  Lookup collapsed{entry.get(), false, true};
  Plan plan = decide(get, rule(CacheMode::Store), &collapsed, at(1000));
  CHECK(plan.kind == Plan::Kind::ServeHit);
  CHECK(plan.status == CacheStatus::Hit);
  // A possibly missed fleet invalidation still forces a revalidation.
  Lookup forced{entry.get(), true, true};
  CHECK(decide(get, rule(CacheMode::Store), &forced, at(1000)).kind == Plan::Kind::Fetch);
}
