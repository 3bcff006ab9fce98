// Revalidation upstream (RFC 9111 §4.3): a stale entry with the upstream's
// validators is checked with a conditional request; a 304 refreshes the entry and updates its
// stored fields (§4.3.4), a 200 replaces it.
//
// The origin makes a response stale on arrival by stating its Age (RFC 9111 §4.2.3), so no
// test waits for a lifetime to run out; a 304 or 200 without Age then starts a fresh one.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

const std::string kOneMinute = "{ match: { prefix: /api/ }, cache: store, ttl: 60s }";

// Older than the 60 s ttl: an entry stored with it is stale at once.
const HeaderField kAged = {"Age", "61"};

}  // namespace

TEST_CASE("a stale entry with an upstream ETag is revalidated and a 304 refreshes its fields") {
  ScriptedOrigin origin;
  OriginResource doc(200, {{"ETag", "\"v1\""}, {"X-Version", "1"}, kAged}, "document");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {kOneMinute}});

  HttpResponse first = etagd.get("/api/doc");
  CHECK(first.headers.get("X-Version") == "1");
  doc.set_not_modified_fields({{"ETag", "\"v1\""}, {"X-Version", "2"}});

  HttpResponse revalidated = etagd.get("/api/doc");
  CHECK(revalidated.status == 200);
  CHECK(cache_status(revalidated) == "REVALIDATED");
  CHECK(revalidated.body == "document");
  CHECK(revalidated.headers.get("ETag") == "\"v1\"");
  CHECK(revalidated.headers.all("X-Version") == std::vector<std::string>{"2"});
  auto conditional = origin.last_request();
  REQUIRE(conditional);
  CHECK(conditional->headers.get("If-None-Match") == "\"v1\"");
  CHECK(doc.not_modified_count() == 1);

  HttpResponse hit = etagd.get("/api/doc");
  CHECK(cache_status(hit) == "HIT");
  CHECK(hit.headers.all("X-Version") == std::vector<std::string>{"2"});
  CHECK(hit.body == "document");
  CHECK(origin.request_count("/api/doc") == 2);
}

TEST_CASE("a stale entry with only Last-Modified is revalidated with If-Modified-Since") {
  ScriptedOrigin origin;
  std::string modified = http_date_from_now(-3600);
  OriginResource doc(200, {{"Last-Modified", modified}, kAged}, "document");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {kOneMinute}});

  etagd.get("/api/doc");
  HttpResponse revalidated = etagd.get("/api/doc");
  CHECK(cache_status(revalidated) == "REVALIDATED");
  CHECK(revalidated.body == "document");
  CHECK(revalidated.headers.get("Last-Modified") == modified);
  auto conditional = origin.last_request();
  REQUIRE(conditional);
  CHECK(conditional->headers.get("If-Modified-Since") == modified);
  CHECK_FALSE(conditional->headers.contains("If-None-Match"));
  CHECK(doc.not_modified_count() == 1);
}

TEST_CASE("a 200 answer to a revalidation replaces the stored response") {
  ScriptedOrigin origin;
  OriginResource doc(200, {{"ETag", "\"v1\""}, kAged}, "old body");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {kOneMinute}});

  etagd.get("/api/doc");
  doc.set(200, {{"ETag", "\"v2\""}}, "new body");

  HttpResponse replaced = etagd.get("/api/doc");
  CHECK(replaced.status == 200);
  CHECK(replaced.body == "new body");
  CHECK(replaced.headers.get("ETag") == "\"v2\"");
  CHECK(cache_status(replaced) != "HIT");
  CHECK(doc.not_modified_count() == 0);
  HttpResponse hit = etagd.get("/api/doc");
  CHECK(cache_status(hit) == "HIT");
  CHECK(hit.body == "new body");
  CHECK(origin.request_count("/api/doc") == 2);
}

TEST_CASE("a client's matching If-None-Match is answered 304 after an upstream revalidation") {
  ScriptedOrigin origin;
  OriginResource doc(200, {{"ETag", "\"v1\""}, kAged}, "document");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {kOneMinute}});

  etagd.get("/api/doc");
  HttpResponse r = etagd.get("/api/doc", {{"If-None-Match", "\"v1\""}});
  CHECK(r.status == 304);
  CHECK(r.body.empty());
  CHECK(r.headers.get("ETag") == "\"v1\"");
  CHECK(doc.not_modified_count() == 1);
}

TEST_CASE("an entry whose only validator is etagd's own is refetched without a conditional") {
  // etagd's content ETag means nothing to the origin; sending it upstream would be a lie.
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {kAged}, "document"));
  CachingEtagd etagd(origin, {.rules = {kOneMinute}});

  std::string etag = etagd.get("/api/doc").headers.get("ETag");
  // Unchanged bytes, unchanged tag: the client still gets its 304.
  HttpResponse r = etagd.get("/api/doc", {{"If-None-Match", etag}});
  CHECK(r.status == 304);
  CHECK(r.headers.get("ETag") == etag);
  auto refetch = origin.last_request();
  REQUIRE(refetch);
  CHECK_FALSE(refetch->headers.contains("If-None-Match"));
  CHECK_FALSE(refetch->headers.contains("If-Modified-Since"));
  CHECK(origin.request_count("/api/doc") == 2);
}

TEST_CASE("after a 304 the lifetime still comes from the upstream, not the rewritten header") {
  // Under ttl origin the rule's cache_control is what clients are told; the stored lifetime
  // is the upstream's. A minimal 304 (just the validator) must not make etagd read its own
  // client-facing max-age=3600 back as the upstream's freshness.
  ScriptedOrigin origin;
  // The 304 says Age 5: past the upstream's 1 s, well inside the rewritten 3600 s.
  OriginResource doc(200, {{"Cache-Control", "max-age=1"}, {"ETag", "\"v1\""}, {"Age", "5"}},
                     "document");
  doc.set_not_modified_fields({{"ETag", "\"v1\""}, {"Age", "5"}});
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: origin, "
                                        "cache_control: { 2xx: \"max-age=3600\" } }"}});

  CHECK(etagd.get("/api/doc").headers.get("Cache-Control") == "max-age=3600");
  HttpResponse first = etagd.get("/api/doc");
  CHECK(cache_status(first) == "REVALIDATED");
  CHECK(first.headers.get("Cache-Control") == "max-age=3600");
  HttpResponse second = etagd.get("/api/doc");
  CHECK(cache_status(second) == "REVALIDATED");
  CHECK(doc.not_modified_count() == 2);
  CHECK(origin.request_count("/api/doc") == 3);
}

TEST_CASE("header edits are applied once however often an entry is revalidated") {
  ScriptedOrigin origin;
  // Every 304 repeats Age 61 (the resource's fields), so each request finds the entry stale.
  OriginResource doc(200, {{"ETag", "\"v1\""}, {"Server", "Legacy/1.0"}, kAged}, "document");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, headers: { "
                                        "remove: [Server], set: { X-Frame-Options: DENY }, "
                                        "add: { X-Served-By: etagd } } }"}});

  HttpResponse miss = etagd.get("/api/doc");
  CHECK(miss.headers.all("X-Served-By") == std::vector<std::string>{"etagd"});
  for (int i = 0; i < 2; ++i) {
    CAPTURE(i);
    HttpResponse r = etagd.get("/api/doc");
    CHECK(cache_status(r) == "REVALIDATED");
    CHECK(r.headers.all("X-Served-By") == std::vector<std::string>{"etagd"});
    CHECK(r.headers.all("X-Frame-Options") == std::vector<std::string>{"DENY"});
    CHECK(r.headers.all("Via").size() == 1);
    CHECK_FALSE(r.headers.contains("Server"));
  }
  CHECK(doc.not_modified_count() == 2);
}

}  // namespace etagd::testing
