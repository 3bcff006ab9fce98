// cache_key.query: URLs that differ only in parameter order or in parameters the origin
// ignores share one stored response, and every path that names a URL (invalidation after a
// write, purge) finds it under the same key.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/free_port.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

// Answers with the query the origin received, so a test sees what was forwarded.
OriginHandler echo_query() {
  return [](const OriginRequest& req, OriginReply& reply) {
    reply.reply(200, {{"Content-Type", "text/plain"}}, "query=" + req.query);
  };
}

const std::string kSortedIgnoringTracking =
    "{ match: { prefix: /api/ }, ttl: 60s, "
    "cache_key: { query: { sort: on, ignore: [\"utm_*\", fbclid] } } }";

}  // namespace

TEST_CASE("with sort on, the same parameters in another order are a hit") {
  ScriptedOrigin origin;
  origin.route("/api/*", echo_query());
  CachingEtagd etagd(origin, {.rules = {kSortedIgnoringTracking}});

  HttpResponse first = etagd.get("/api/items?b=2&a=1");
  CHECK(cache_status(first) == "MISS");
  HttpResponse second = etagd.get("/api/items?a=1&b=2");
  CHECK(cache_status(second) == "HIT");
  CHECK(second.body == first.body);
  CHECK(origin.request_count("/api/items") == 1);
  // Different values are still different resources.
  CHECK(cache_status(etagd.get("/api/items?a=1&b=3")) == "MISS");
}

TEST_CASE("ignored tracking parameters do not split the cache") {
  ScriptedOrigin origin;
  origin.route("/api/*", echo_query());
  CachingEtagd etagd(origin, {.rules = {kSortedIgnoringTracking}});

  etagd.get("/api/page?id=7");
  CHECK(cache_status(etagd.get("/api/page?utm_source=mail&id=7&utm_medium=x")) == "HIT");
  CHECK(cache_status(etagd.get("/api/page?id=7&fbclid=abc")) == "HIT");
  CHECK(origin.request_count("/api/page") == 1);
}

TEST_CASE("the upstream gets the query as sent unless forward is normalised") {
  ScriptedOrigin origin;
  origin.route("/api/*", echo_query());
  origin.route("/norm/*", echo_query());
  CachingEtagd etagd(
      origin, {.rules = {kSortedIgnoringTracking,
                         "{ match: { prefix: /norm/ }, ttl: 60s, cache_key: { query: "
                         "{ sort: on, ignore: [utm_source], forward: normalised } } }"}});

  CHECK(etagd.get("/api/x?b=2&utm_source=m&a=1").body == "query=b=2&utm_source=m&a=1");
  // What is stored for the key is what the key describes: the normalised query.
  CHECK(etagd.get("/norm/x?b=2&utm_source=m&a=1").body == "query=a=1&b=2");
  CHECK(origin.last_request()->target == "/norm/x?a=1&b=2");
}

TEST_CASE("keep lists the only parameters that make a different response") {
  ScriptedOrigin origin;
  origin.route("/search", echo_query());
  CachingEtagd etagd(origin, {.rules = {"{ match: { path: /search }, ttl: 60s, "
                                        "cache_key: { query: { keep: [q, page] } } }"}});
  etagd.get("/search?q=cat&page=2&session=1");
  CHECK(cache_status(etagd.get("/search?q=cat&session=2&page=2&ref=home")) == "HIT");
  CHECK(cache_status(etagd.get("/search?q=cat&page=3")) == "MISS");
  CHECK(origin.request_count("/search") == 2);
}

TEST_CASE("a successful write to a URL drops the entry stored under its normalised key") {
  ScriptedOrigin origin;
  origin.route("/api/*", echo_query());
  CachingEtagd etagd(origin, {.rules = {kSortedIgnoringTracking}});

  etagd.get("/api/items?a=1&b=2");
  REQUIRE(cache_status(etagd.get("/api/items?a=1&b=2")) == "HIT");
  // RFC 9111 §4.4: the write's target, in the other parameter order, names the same entry.
  REQUIRE(etagd.request("POST", "/api/items?b=2&a=1").status == 200);
  CHECK(cache_status(etagd.get("/api/items?a=1&b=2")) == "MISS");
}

TEST_CASE("an admin purge of a URL in any parameter order removes its entry") {
  ScriptedOrigin origin;
  origin.route("/api/*", echo_query());
  uint16_t admin_port = free_port();
  CachingEtagd etagd(origin, {.rules = {kSortedIgnoringTracking}, .admin_port = admin_port});
  etagd.process().wait_listening(admin_port);

  etagd.get("/api/items?a=1&b=2");
  REQUIRE(cache_status(etagd.get("/api/items?a=1&b=2")) == "HIT");
  std::string url = "http://127.0.0.1:" + std::to_string(etagd.port()) +
                    "/api/items%3Futm_source%3Dx%26b%3D2%26a%3D1";
  HttpResponse purge = http_request(admin_port, "POST", "/purge?url=" + url);
  CHECK(purge.status == 200);
  CHECK(purge.body.find("\"purged\":1") != std::string::npos);
  CHECK(cache_status(etagd.get("/api/items?a=1&b=2")) == "MISS");
}

}  // namespace etagd::testing
