// Freshness and storability (RFC 9111 §3 and §4.2): with no
// rules etagd is a shared cache that follows the upstream's own Cache-Control, Expires and
// Age, and refuses to store what a shared cache must not.
#include <doctest/doctest.h>

#include <thread>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

// Two GETs of `path`: true if the second one was answered without the origin.
bool stored(const CachingEtagd& etagd, const ScriptedOrigin& origin, const std::string& path) {
  size_t before = origin.request_count(path);
  HttpResponse first = etagd.get(path);
  HttpResponse second = etagd.get(path);
  CHECK(first.status == second.status);
  CHECK(first.body == second.body);
  return origin.request_count(path) == before + 1 && cache_status(second) == "HIT";
}

}  // namespace

TEST_CASE("with no rules an upstream max-age is honoured and its Cache-Control passed on") {
  ScriptedOrigin origin;
  origin.route("/doc", script::respond(200, {{"Cache-Control", "max-age=60"}}, "doc"));
  CachingEtagd etagd(origin);

  CHECK(stored(etagd, origin, "/doc"));
  HttpResponse hit = etagd.get("/doc");
  CHECK(hit.headers.get("Cache-Control") == "max-age=60");
  CHECK(is_strong_etag(hit.headers.get("ETag")));
}

TEST_CASE("private, no-store, Set-Cookie and Vary: * responses are never stored by default") {
  ScriptedOrigin origin;
  origin.route("/private", script::respond(200, {{"Cache-Control", "private, max-age=60"}}, "p"));
  origin.route("/no-store", script::respond(200, {{"Cache-Control", "no-store, max-age=60"}}, "n"));
  origin.route(
      "/cookie",
      script::respond(
          200, {{"Cache-Control", "max-age=60"}, {"Set-Cookie", "session=abc; HttpOnly"}}, "c"));
  origin.route("/vary-star",
               script::respond(200, {{"Cache-Control", "max-age=60"}, {"Vary", "*"}}, "v"));
  origin.route("/nothing", script::respond(200, {}, "no freshness, no validator"));
  CachingEtagd etagd(origin);

  for (const char* path : {"/private", "/no-store", "/cookie", "/vary-star", "/nothing"}) {
    CAPTURE(path);
    CHECK_FALSE(stored(etagd, origin, path));
  }
  // The Set-Cookie reaches its own client every time.
  CHECK(etagd.get("/cookie").headers.get("Set-Cookie") == "session=abc; HttpOnly");
}

TEST_CASE("a rule ttl cannot make private, no-store or Set-Cookie responses storable") {
  ScriptedOrigin origin;
  origin.route("/api/private", script::respond(200, {{"Cache-Control", "private"}}, "p"));
  origin.route("/api/no-store", script::respond(200, {{"Cache-Control", "no-store"}}, "n"));
  origin.route("/api/cookie", script::respond(200, {{"Set-Cookie", "id=1"}}, "c"));
  origin.route("/api/plain", script::respond(200, {}, "plain"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});

  for (const char* path : {"/api/private", "/api/no-store", "/api/cookie"}) {
    CAPTURE(path);
    CHECK_FALSE(stored(etagd, origin, path));
  }
  CHECK(stored(etagd, origin, "/api/plain"));  // no freshness information needed under a ttl
}

TEST_CASE("no-cache is stored but revalidated with the origin before every use") {
  ScriptedOrigin origin;
  OriginResource doc(200, {{"Cache-Control", "no-cache"}, {"ETag", "\"v1\""}}, "document");
  origin.route("/doc", doc.handler());
  CachingEtagd etagd(origin);

  CHECK(etagd.get("/doc").body == "document");
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = etagd.get("/doc");
    CHECK(r.status == 200);
    CHECK(r.body == "document");
    CHECK(cache_status(r) == "REVALIDATED");
  }
  CHECK(origin.request_count("/doc") == 4);
  CHECK(doc.not_modified_count() == 3);
  auto last = origin.last_request();
  REQUIRE(last);
  CHECK(last->headers.get("If-None-Match") == "\"v1\"");
}

TEST_CASE("s-maxage takes precedence over max-age in a shared cache") {
  ScriptedOrigin origin;
  origin.route("/long", script::respond(200, {{"Cache-Control", "max-age=0, s-maxage=60"}}, "l"));
  origin.route("/short", script::respond(200, {{"Cache-Control", "max-age=60, s-maxage=0"}}, "s"));
  CachingEtagd etagd(origin);

  CHECK(stored(etagd, origin, "/long"));
  CHECK_FALSE(stored(etagd, origin, "/short"));
}

TEST_CASE("Expires minus Date is the lifetime when there is no max-age") {
  ScriptedOrigin origin;
  std::string now = http_date_from_now(0);
  origin.route("/future",
               script::respond(200, {{"Date", now}, {"Expires", http_date_from_now(60)}}, "f"));
  origin.route("/past",
               script::respond(200, {{"Date", now}, {"Expires", http_date_from_now(-60)}}, "p"));
  origin.route("/invalid", script::respond(200, {{"Date", now}, {"Expires", "0"}}, "i"));
  // max-age wins over Expires (RFC 9111 §5.3).
  origin.route(
      "/max-age-wins",
      script::respond(
          200, {{"Date", now}, {"Expires", http_date_from_now(60)}, {"Cache-Control", "max-age=0"}},
          "m"));
  CachingEtagd etagd(origin);

  CHECK(stored(etagd, origin, "/future"));
  CHECK_FALSE(stored(etagd, origin, "/past"));
  CHECK_FALSE(stored(etagd, origin, "/invalid"));
  CHECK_FALSE(stored(etagd, origin, "/max-age-wins"));
}

TEST_CASE("an Age from the upstream counts against the freshness lifetime") {
  ScriptedOrigin origin;
  origin.route("/used-up", script::respond(200, {{"Cache-Control", "max-age=60"}, {"Age", "100"}},
                                           "already stale when it arrived"));
  origin.route("/half", script::respond(200, {{"Cache-Control", "max-age=2"}, {"Age", "1"}}, "h"));
  CachingEtagd etagd(origin);

  CHECK_FALSE(stored(etagd, origin, "/used-up"));

  // max-age=2 with Age: 1 leaves one second of freshness.
  align_to_second_start();
  HttpResponse miss = etagd.get("/half");
  CHECK(age_of(miss) >= 1);
  HttpResponse hit = etagd.get("/half");
  CHECK(cache_status(hit) == "HIT");
  CHECK(age_of(hit) >= 1);
  std::this_thread::sleep_for(1100ms);
  HttpResponse stale = etagd.get("/half");
  CHECK(cache_status(stale) != "HIT");
  CHECK(origin.request_count("/half") == 2);
}

TEST_CASE("a rule ttl replaces the upstream's lifetime in both directions") {
  ScriptedOrigin origin;
  origin.route("/api/zero", script::respond(200, {{"Cache-Control", "max-age=0"}}, "z"));
  // Age 5: well inside the upstream's hour, past the rule's second.
  origin.route("/short/long",
               script::respond(200, {{"Cache-Control", "max-age=3600"}, {"Age", "5"}}, "l"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s }",
                                        "{ match: { prefix: /short/ }, ttl: 1s }"}});

  CHECK(stored(etagd, origin, "/api/zero"));
  etagd.get("/short/long");
  HttpResponse later = etagd.get("/short/long");
  CHECK(cache_status(later) != "HIT");
  CHECK(origin.request_count("/short/long") == 2);
}

TEST_CASE("RFC 9110 6.6.1: what is served from the cache keeps the origin's Date and adds Age") {
  ScriptedOrigin origin;
  std::string generated = http_date_from_now(-30);
  origin.route("/doc", script::respond(200, {{"Cache-Control", "max-age=600"},
                                             {"ETag", "\"v1\""}, {"Date", generated}}, "doc"));
  origin.route("/expires", script::respond(200, {{"Expires", http_date_from_now(600)},
                                                 {"Date", generated}}, "exp"));
  origin.route("/pass", script::respond(200, {{"Cache-Control", "no-store"}, {"Date", generated}},
                                        "pass"));
  CachingEtagd etagd(origin);

  for (const char* path : {"/doc", "/expires"}) {
    CAPTURE(path);
    CHECK(etagd.get(path).headers.get("Date") == generated);  // the miss
    HttpResponse hit = etagd.get(path);
    CHECK(cache_status(hit) == "HIT");
    CHECK(hit.headers.get("Date") == generated);
    // RFC 9111 4.2.3: the apparent age (response time - Date) counts.
    CHECK(std::stol(hit.headers.get("Age")) >= 29);
  }
  // etagd's own 304 to a conditional request repeats the stored Date (RFC 9110 15.4.5).
  HttpResponse not_modified = etagd.get("/doc", {{"If-None-Match", "\"v1\""}});
  CHECK(not_modified.status == 304);
  CHECK(not_modified.headers.get("Date") == generated);
  // A response relayed without storing keeps its Date too.
  CHECK(etagd.get("/pass").headers.get("Date") == generated);
}

}  // namespace etagd::testing

namespace etagd::testing {

TEST_CASE("RFC 9111 4.2.2: a response with only Last-Modified is fresh for a tenth of its age") {
  // Modified ten days before its Date: a tenth is a day, capped by heuristic_max (1h).
  ScriptedOrigin origin;
  origin.route("/report", [](const OriginRequest&, OriginReply& reply) {
    reply.reply(200, {{"Date", http_date_from_now(0)}, {"Last-Modified", http_date_from_now(-10 * 86400)}},
                "report");
  });
  CachingEtagd etagd(origin, {.extra = "log: { access_log: stderr }"});

  HttpResponse first = etagd.get("/report");
  CHECK(cache_status(first) == "MISS;heuristic");
  HttpResponse second = etagd.get("/report");
  CHECK(cache_status(second) == "HIT;heuristic");
  CHECK(second.body == "report");
  CHECK(origin.request_count("/report") == 1);
  // The access log says so too.
  CHECK(eventually([&] { return etagd.log().find(" HIT;heuristic ") != std::string::npos; }));
}

TEST_CASE("heuristic_max 0s turns heuristic freshness off") {
  ScriptedOrigin origin;
  origin.route("/report", [](const OriginRequest&, OriginReply& reply) {
    reply.reply(200, {{"Date", http_date_from_now(0)}, {"Last-Modified", http_date_from_now(-10 * 86400)}},
                "report");
  });
  CachingEtagd etagd(origin, {.cache = "heuristic_max: 0s"});
  etagd.get("/report");
  HttpResponse second = etagd.get("/report");
  CHECK(cache_status(second) != "HIT");
  CHECK(cache_status(second).find("heuristic") == std::string::npos);
  CHECK(origin.request_count("/report") == 2);
}

TEST_CASE("a status that is not heuristically cacheable gets no heuristic lifetime") {
  ScriptedOrigin origin;
  origin.route("/moved", [](const OriginRequest&, OriginReply& reply) {
    reply.reply(302, {{"Location", "/x"}, {"Last-Modified", http_date_from_now(-10 * 86400)}}, "");
  });
  CachingEtagd etagd(origin);
  etagd.get("/moved");
  CHECK(cache_status(etagd.get("/moved")) == "MISS");
  CHECK(origin.request_count("/moved") == 2);
}

}  // namespace etagd::testing

namespace etagd::testing {

TEST_CASE("RFC 9111 3: with no rules a 5xx with explicit freshness is stored and reused") {
  ScriptedOrigin origin;
  origin.route("/busy", script::respond(503, {{"Cache-Control", "max-age=60"}}, "busy"));
  origin.route("/broken", script::respond(500, {}, "broken"));
  CachingEtagd etagd(origin);  // no rules

  etagd.get("/busy");
  HttpResponse again = etagd.get("/busy");
  CHECK(again.status == 503);
  CHECK(cache_status(again) == "HIT");
  CHECK(origin.request_count("/busy") == 1);
  // Without freshness of its own a server error is never stored.
  etagd.get("/broken");
  CHECK(cache_status(etagd.get("/broken")) == "MISS");
  CHECK(origin.request_count("/broken") == 2);
}

TEST_CASE("with rules a 5xx is never stored, whatever freshness it claims") {
  ScriptedOrigin origin;
  origin.route("/api/busy", script::respond(503, {{"Cache-Control", "max-age=60"}}, "busy"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, cache: store }"}});
  etagd.get("/api/busy");
  CHECK(cache_status(etagd.get("/api/busy")) == "MISS");
  CHECK(origin.request_count("/api/busy") == 2);
}

TEST_CASE("a fresh 5xx never replaces an entry that stale-if-error can still serve") {
  ScriptedOrigin origin;
  // Stored stale (Age 5 against max-age=1), inside its stale-if-error window.
  origin.route("/doc", script::respond(200, {{"Cache-Control", "max-age=1, stale-if-error=60"},
                                             {"Age", "5"}},
                                       "document"));
  CachingEtagd etagd(origin);  // no rules
  etagd.get("/doc");
  origin.route("/doc", script::respond(500, {{"Cache-Control", "max-age=60"}}, "down"));
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = etagd.get("/doc");
    CHECK(r.status == 200);
    CHECK(cache_status(r) == "STALE");
    CHECK(r.body == "document");
  }
}

TEST_CASE("a rule ttl counts from the response's arrival, and an origin's Age still counts") {
  // Varnish's beresp.ttl and nginx's proxy_cache_valid count from when the response arrived:
  // the 2.2 s the origin took are not part of the 2 s etagd keeps it. RFC 9111 §4.2.3 would
  // count them (response_delay), so the response would be stale on arrival.
  ScriptedOrigin origin;
  origin.route("/api/slow", script::delayed(2200ms, script::respond(200, {}, "slow")));
  origin.route("/api/aged", script::respond(200, {{"Age", "5"}}, "aged"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 2s }"}});
  CHECK(stored(etagd, origin, "/api/slow"));
  // An Age of 5 s is older than the 2 s ttl: stored, but stale at once.
  etagd.get("/api/aged");
  CHECK(cache_status(etagd.get("/api/aged")) != "HIT");
}

}  // namespace etagd::testing
