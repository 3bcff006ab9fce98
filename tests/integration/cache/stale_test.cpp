// Serving stale (RFC 5861, RFC 9111 §4.2.4): with stale_if_error an origin
// failure is answered from the stale entry; with stale_while_revalidate a stale entry is sent
// at once and refreshed in the background by exactly one request.
//
// The origin makes its responses stale on arrival by stating their Age (RFC 9111 §4.2.3: the
// age a cache counts from is at least the Age it received), so no test waits for a lifetime
// to pass; freshness_test.cpp checks that resident time ages an entry too.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

// Past every lifetime below (1 s rule ttls, max-age=1) and inside every 60 s stale window.
const HeaderField kAged = {"Age", "5"};

}  // namespace

TEST_CASE("stale_if_error serves the stale entry with X-Cache: STALE while the origin is down") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {{"ETag", "\"v1\""}, kAged}, "document"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 1s, "
                                        "stale_if_error: 60s }"}});

  etagd.get("/api/doc");
  origin.stop();
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = etagd.get("/api/doc");
    CHECK(r.status == 200);
    CHECK(cache_status(r) == "STALE");
    CHECK(r.body == "document");
    CHECK(r.headers.get("ETag") == "\"v1\"");
    CHECK(age_of(r) >= 5);
  }
  // The origin comes back: the next request revalidates and the entry is fresh again.
  origin.start();
  HttpResponse back = etagd.get("/api/doc");
  CHECK(back.status == 200);
  CHECK(cache_status(back) != "STALE");
}

TEST_CASE("stale_if_error covers an origin answering 5xx") {
  ScriptedOrigin origin;
  OriginResource doc(200, {kAged}, "good document");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 1s, "
                                        "stale_if_error: 60s }"}});

  etagd.get("/api/doc");
  doc.set(503, {{"Retry-After", "5"}}, "overloaded");
  HttpResponse r = etagd.get("/api/doc");
  CHECK(r.status == 200);
  CHECK(cache_status(r) == "STALE");
  CHECK(r.body == "good document");
  CHECK(origin.request_count("/api/doc") == 2);
}

TEST_CASE("without stale_if_error an origin that is down gives 502") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {kAged}, "document"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 1s }"}});

  etagd.get("/api/doc");
  origin.stop();
  HttpResponse r = etagd.get("/api/doc");
  CHECK(r.status == 502);
  CHECK(r.body != "document");
}

TEST_CASE("stale_if_error ends with its window") {
  ScriptedOrigin origin;
  // Age 5: past the 1 s lifetime plus the 1 s stale window.
  origin.route("/api/doc", script::respond(200, {kAged}, "document"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 1s, "
                                        "stale_if_error: 1s }"}});

  etagd.get("/api/doc");
  origin.stop();
  CHECK(etagd.get("/api/doc").status == 502);
}

TEST_CASE("an upstream must-revalidate forbids serving stale, even on error") {
  // RFC 9111 §5.2.2.2: must-revalidate means never stale without a successful validation.
  ScriptedOrigin origin;
  origin.route("/api/doc",
               script::respond(200, {{"Cache-Control", "max-age=1, must-revalidate"}, kAged},
                               "document"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: origin, "
                                        "stale_if_error: 60s }"}});

  etagd.get("/api/doc");
  origin.stop();
  HttpResponse r = etagd.get("/api/doc");
  CHECK(r.status == 502);
}

TEST_CASE("stale_while_revalidate answers at once and refreshes with one background request") {
  ScriptedOrigin origin;
  // Stored stale (Age 61 against a 60 s ttl) but inside the stale window; the refresh has no
  // Age, so the refreshed entry is fresh for the whole ttl.
  OriginResource doc(200, {{"Age", "61"}}, "version 1");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, "
                                        "stale_while_revalidate: 60s }"}});

  etagd.get("/api/doc");
  doc.set(200, {}, "version 2");
  doc.set_delay(500ms);

  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    HttpResponse r = etagd.get("/api/doc");
    CHECK(std::chrono::steady_clock::now() - start < 400ms);  // not waiting for the origin
    CHECK(r.status == 200);
    CHECK(cache_status(r) == "STALE");
    CHECK(r.body == "version 1");
  }
  CHECK(origin.wait_for_requests("/api/doc", 2, 2000ms));

  bool refreshed = eventually([&] { return etagd.get("/api/doc").body == "version 2"; }, 3000ms);
  CHECK(refreshed);
  HttpResponse hit = etagd.get("/api/doc");
  CHECK(cache_status(hit) == "HIT");
  CHECK(hit.body == "version 2");
  CHECK(origin.request_count("/api/doc") == 2);
}

TEST_CASE("a failed background refresh leaves the stale entry in place") {
  ScriptedOrigin origin;
  OriginResource doc(200, {kAged}, "version 1");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 1s, "
                                        "stale_while_revalidate: 60s }"}});

  etagd.get("/api/doc");
  doc.set(500, {}, "broken");
  HttpResponse stale = etagd.get("/api/doc");
  CHECK(cache_status(stale) == "STALE");
  CHECK(stale.body == "version 1");
  REQUIRE(origin.wait_for_requests("/api/doc", 2, 2000ms));
  // The refresh's 500 was not stored over the good copy.
  HttpResponse after = etagd.get("/api/doc");
  CHECK(after.status == 200);
  CHECK(after.body == "version 1");
  CHECK(etagd.process().running());
}

TEST_CASE("stale_if_error covers an origin that does not answer in time") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {kAged}, "document"));
  CachingEtagd etagd(origin, {.timeouts = "upstream_read: 300ms",
                              .rules = {"{ match: { prefix: /api/ }, ttl: 1s, "
                                        "stale_if_error: 60s }"}});

  etagd.get("/api/doc");
  origin.route("/api/doc", script::never_answer());
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = etagd.get("/api/doc");
  CHECK(std::chrono::steady_clock::now() - start < 2000ms);
  CHECK(r.status == 200);
  CHECK(cache_status(r) == "STALE");
  CHECK(r.body == "document");
}

TEST_CASE("the upstream's own stale-if-error directive is honoured under ttl origin") {
  // RFC 5861 §4: the origin can grant the stale window itself.
  ScriptedOrigin origin;
  origin.route("/doc", script::respond(200, {{"Cache-Control", "max-age=1, stale-if-error=60"}, kAged},
                                       "document"));
  CachingEtagd etagd(origin);  // no rules

  etagd.get("/doc");
  origin.stop();
  HttpResponse r = etagd.get("/doc");
  CHECK(r.status == 200);
  CHECK(cache_status(r) == "STALE");
  CHECK(r.body == "document");
}

TEST_CASE("a background refresh revalidates with the upstream's validator") {
  ScriptedOrigin origin;
  const HeaderFields fields = {{"Cache-Control", "max-age=60, stale-while-revalidate=60"},
                               {"ETag", "\"v1\""}};
  HeaderFields aged = fields;
  aged.set("Age", "61");
  OriginResource doc(200, aged, "document");
  // The 304 that validates it states no Age: the refreshed entry is fresh again (RFC 9111
  // §4.3.4 updates the stored response with the 304's fields, and its age restarts).
  doc.set_not_modified_fields(fields);
  origin.route("/doc", doc.handler());
  CachingEtagd etagd(origin);  // no rules: the upstream grants the stale window (RFC 5861 §3)

  etagd.get("/doc");
  HttpResponse stale = etagd.get("/doc");
  CHECK(cache_status(stale) == "STALE");
  CHECK(stale.body == "document");
  REQUIRE(origin.wait_for_requests("/doc", 2, 2000ms));
  CHECK(origin.last_request()->headers.get("If-None-Match") == "\"v1\"");
  CHECK(eventually([&] { return cache_status(etagd.get("/doc")) == "HIT"; }, 2000ms));
  CHECK(doc.not_modified_count() == 1);
  CHECK(origin.request_count("/doc") == 2);
}

}  // namespace etagd::testing
