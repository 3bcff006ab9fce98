// ttl per status (`ttl: { 2xx: 60s, 404: 10s, other: origin }`): each response is kept as
// long as the entry for its status says, a code's entry winning over its class's.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {

TEST_CASE("a 404 with its own ttl is stored while other statuses follow the origin") {
  ScriptedOrigin origin;
  origin.route("/api/ok", script::respond(200, {}, "fine"));
  origin.route("/api/gone", script::respond(404, {}, "no such item"));
  origin.route("/api/moved", script::respond(302, {{"Location", "/api/ok"}}, ""));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: { 2xx: 60s, 404: 30s },"
                                        " cache_control: { 2xx: \"public, max-age=60\" } }"}});

  for (const char* path : {"/api/ok", "/api/gone"}) {
    CAPTURE(path);
    etagd.get(path);
    HttpResponse again = etagd.get(path);
    CHECK(cache_status(again) == "HIT");
    CHECK(origin.request_count(path) == 1);
  }
  // 302 has no entry and `other` is origin: without the origin's freshness it is not stored.
  etagd.get("/api/moved");
  CHECK(cache_status(etagd.get("/api/moved")) != "HIT");
  CHECK(origin.request_count("/api/moved") == 2);
}

TEST_CASE("a status code named in ttl is stored even where a class ttl would not store it") {
  // 403 is not among the statuses a fixed ttl stores on its own; naming it is the operator's
  // word that it may be reused.
  ScriptedOrigin origin;
  origin.route("/api/secret", script::respond(403, {}, "forbidden"));
  origin.route("/api/teapot", script::respond(418, {}, "teapot"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: { 403: 30s, 4xx: 30s },"
                                        " cache_control: { 2xx: public } }"}});
  etagd.get("/api/secret");
  CHECK(cache_status(etagd.get("/api/secret")) == "HIT");
  etagd.get("/api/teapot");
  CHECK(cache_status(etagd.get("/api/teapot")) != "HIT");
}

TEST_CASE("a code's ttl wins over its class's and the age shows the lifetime used") {
  ScriptedOrigin origin;
  origin.route("/api/a", script::respond(200, {}, "a"));
  origin.route("/api/b", script::respond(204, {}, ""));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: { 2xx: 60s, 204: 0s }, "
                                        "cache_control: { 2xx: public } }"}});
  etagd.get("/api/a");
  CHECK(cache_status(etagd.get("/api/a")) == "HIT");
  // 0s stores the 204 stale: every use goes back to the origin.
  etagd.get("/api/b");
  CHECK(cache_status(etagd.get("/api/b")) != "HIT");
  CHECK(origin.request_count("/api/b") == 2);
}

}  // namespace etagd::testing
