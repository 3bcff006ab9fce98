// Targeted cache control (RFC 9213): CDN-Cache-Control and etagd's own Etagd-Cache-Control
// replace Cache-Control as the cache's policy, per the `targeted_cache_control` list.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {

using script::respond;

TEST_CASE("RFC 9213 §2.2: CDN-Cache-Control overrides Cache-Control for the cache and is forwarded") {
  ScriptedOrigin origin;
  origin.route("/page", respond(200, {{"Cache-Control", "no-store"},
                                      {"CDN-Cache-Control", "max-age=60"}},
                                "page"));
  CachingEtagd etagd(origin);

  HttpResponse first = etagd.get("/page");
  HttpResponse second = etagd.get("/page");
  CHECK(second.status == 200);
  CHECK(second.body == "page");
  CHECK(cache_status(second) == "HIT");
  CHECK(origin.request_count("/page") == 1);
  for (const HttpResponse* r : {&first, &second}) {
    CHECK(r->headers.get("CDN-Cache-Control") == "max-age=60");
    CHECK(r->headers.get("Cache-Control") == "no-store");  // for the caches after etagd
  }
}

TEST_CASE("RFC 9213 §2.2: the first listed targeted field wins and Etagd-Cache-Control is removed") {
  ScriptedOrigin origin;
  origin.route("/page", respond(200, {{"Etagd-Cache-Control", "max-age=60"},
                                      {"CDN-Cache-Control", "no-store"},
                                      {"Cache-Control", "no-store"}},
                                "page"));
  CachingEtagd etagd(origin);

  HttpResponse first = etagd.get("/page");
  HttpResponse second = etagd.get("/page");
  CHECK(cache_status(second) == "HIT");
  CHECK(origin.request_count("/page") == 1);
  for (const HttpResponse* r : {&first, &second}) {
    CHECK(!r->headers.contains("Etagd-Cache-Control"));
    CHECK(r->headers.get("CDN-Cache-Control") == "no-store");
  }
}

TEST_CASE("RFC 9213 §2.2: an invalid targeted field is ignored whole and Cache-Control decides") {
  ScriptedOrigin origin;
  // Not a Structured Field Dictionary (keys are lowercase): the max-age in it never counts.
  origin.route("/invalid", respond(200, {{"CDN-Cache-Control", "Max-Age=60"},
                                         {"Cache-Control", "no-store"}},
                                   "x"));
  // An invalid first field falls through to the next valid one.
  origin.route("/next", respond(200, {{"Etagd-Cache-Control", "max-age=60,"},
                                      {"CDN-Cache-Control", "max-age=60"},
                                      {"Cache-Control", "no-store"}},
                                "y"));
  // An invalid field leaves Cache-Control's freshness in force.
  origin.route("/cc", respond(200, {{"CDN-Cache-Control", "no-store, max-age=\"60"},
                                    {"Cache-Control", "max-age=60"}},
                              "z"));
  CachingEtagd etagd(origin);

  for (int i = 0; i < 2; ++i) {
    etagd.get("/invalid");
    etagd.get("/next");
    etagd.get("/cc");
  }
  CHECK(origin.request_count("/invalid") == 2);
  CHECK(origin.request_count("/next") == 1);
  CHECK(origin.request_count("/cc") == 1);
}

TEST_CASE("RFC 9213 §2.2: with targeted_cache_control [] both targeted fields are ignored") {
  ScriptedOrigin origin;
  origin.route("/page", respond(200, {{"Etagd-Cache-Control", "max-age=60"},
                                      {"CDN-Cache-Control", "max-age=60"},
                                      {"Cache-Control", "no-store"}},
                                "page"));
  CachingEtagd etagd(origin, {.extra = "targeted_cache_control: []"});

  etagd.get("/page");
  HttpResponse second = etagd.get("/page");
  CHECK(cache_status(second) != "HIT");
  CHECK(origin.request_count("/page") == 2);
  CHECK(second.headers.get("CDN-Cache-Control") == "max-age=60");
}

TEST_CASE("RFC 9111 §3 via RFC 9213 §2.2: private in the targeted field keeps a shared cache from storing") {
  ScriptedOrigin origin;
  origin.route("/page", respond(200, {{"CDN-Cache-Control", "private, max-age=60"},
                                      {"Cache-Control", "public, max-age=60"}},
                                "page"));
  CachingEtagd etagd(origin);

  etagd.get("/page");
  HttpResponse second = etagd.get("/page");
  CHECK(cache_status(second) != "HIT");
  CHECK(origin.request_count("/page") == 2);
}

TEST_CASE("RFC 9213 §2.2: a targeted field replaces Expires too") {
  ScriptedOrigin origin;
  // CDN-Cache-Control without freshness: Expires no longer gives the response a lifetime.
  origin.route("/page", respond(200, {{"CDN-Cache-Control", "must-revalidate"},
                                      {"Expires", "Thu, 01 Jan 2099 00:00:00 GMT"}},
                                "page"));
  CachingEtagd etagd(origin);

  etagd.get("/page");
  etagd.get("/page");
  CHECK(origin.request_count("/page") == 2);
}

TEST_CASE("targeted_cache_control names that are not field names are a config error") {
  ScriptedOrigin origin;
  CHECK_THROWS_WITH(CachingEtagd(origin, {.extra = "targeted_cache_control: [\"CDN Cache\"]"}),
                    doctest::Contains("'CDN Cache' is not a field name"));
}

}  // namespace etagd::testing
