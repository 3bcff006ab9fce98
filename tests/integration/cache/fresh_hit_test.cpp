// Fresh hits and conditional requests (RFC 9110 §13, RFC 9111 §4.3.2):
// while an entry is fresh, etagd answers from memory, a 304 when the client's validator
// matches, and the origin never hears of it.
#include <doctest/doctest.h>

#include <thread>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

const std::string kStoreApi = "{ match: { prefix: /api/ }, cache: store, ttl: 60s }";

// Stores /api/doc (first request, a MISS) and returns its ETag.
std::string prime(const CachingEtagd& etagd, std::string_view target = "/api/doc") {
  HttpResponse r = etagd.get(target);
  REQUIRE(r.status == 200);
  REQUIRE(cache_status(r) == "MISS");
  std::string etag = r.headers.get("ETag");
  REQUIRE_FALSE(etag.empty());
  return etag;
}

}  // namespace

TEST_CASE("a fresh hit is served from memory without an origin request") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {{"Content-Type", "text/plain"}}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  prime(etagd);

  for (int i = 0; i < 5; ++i) {
    HttpResponse hit = etagd.get("/api/doc");
    CHECK(hit.status == 200);
    CHECK(cache_status(hit) == "HIT");
    CHECK(hit.body == "document");
    CHECK(hit.headers.get("Content-Type") == "text/plain");
    CHECK(hit.headers.contains("Date"));
  }
  CHECK(origin.request_count() == 1);
}

TEST_CASE("Age is on answers served from the cache and grows while the entry sits there") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});

  // RFC 9111 §5.1: a response the origin generated for this request carries no Age.
  HttpResponse miss = etagd.get("/api/doc");
  CHECK_FALSE(miss.headers.contains("Age"));
  HttpResponse hit = etagd.get("/api/doc");
  CHECK(age_of(hit) >= 0);
  std::this_thread::sleep_for(1100ms);
  HttpResponse later = etagd.get("/api/doc");
  CHECK(cache_status(later) == "HIT");
  CHECK(age_of(later) >= 1);
  CHECK(age_of(later) <= 3);
  CHECK(origin.request_count() == 1);
}

TEST_CASE("a matching If-None-Match on a fresh entry gets a local 304 with the validator fields") {
  ScriptedOrigin origin;
  std::string expires = http_date_from_now(3600);
  origin.route("/api/doc", script::respond(200,
                                           {{"Content-Type", "text/plain"},
                                            {"Vary", "Accept-Encoding"},
                                            {"Expires", expires},
                                            {"X-Other", "kept out of 304s"}},
                                           "document body"));
  CachingEtagd etagd(origin,
                     {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, "
                                "cache_control: { 2xx: \"max-age=60, must-revalidate\" } }"}});
  std::string etag = prime(etagd);

  HttpClient client = etagd.client();
  HttpResponse r = client.get("/api/doc", {{"If-None-Match", etag}});
  CHECK(r.status == 304);
  CHECK(r.body.empty());
  CHECK(r.headers.get("ETag") == etag);
  CHECK(r.headers.get("Cache-Control") == "max-age=60, must-revalidate");
  CHECK(r.headers.get("Vary") == "Accept-Encoding");
  CHECK(r.headers.get("Expires") == expires);
  CHECK(r.headers.contains("Date"));
  CHECK_FALSE(r.headers.contains("Transfer-Encoding"));
  CHECK(cache_status(r) == "HIT");
  // Nothing but the head was sent: the next answer on the connection parses cleanly.
  HttpResponse next = client.get("/api/doc");
  CHECK(next.status == 200);
  CHECK(next.body == "document body");
  CHECK(origin.request_count() == 1);
}

TEST_CASE("If-None-Match with a list matches when any member matches") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  std::string etag = prime(etagd);

  CHECK(etagd.get("/api/doc", {{"If-None-Match", "\"old-1\", " + etag + ", \"old-2\""}}).status ==
        304);
  CHECK(etagd.get("/api/doc", {{"If-None-Match", "\"old-1\""}, {"If-None-Match", etag}}).status ==
        304);
  CHECK(etagd.get("/api/doc", {{"If-None-Match", "\"old-1\", \"old-2\""}}).status == 200);
  CHECK(origin.request_count() == 1);
}

TEST_CASE("If-None-Match * matches any current representation") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  prime(etagd);

  HttpResponse r = etagd.get("/api/doc", {{"If-None-Match", "*"}});
  CHECK(r.status == 304);
  CHECK(r.body.empty());
  CHECK(origin.request_count() == 1);
}

TEST_CASE("If-None-Match uses the weak comparison: W/ and strong forms of one tag match") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {}, "document"));
  origin.route("/api/weak", script::respond(200, {{"ETag", "W/\"w-1\""}}, "weakly tagged"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  std::string etag = prime(etagd);
  prime(etagd, "/api/weak");

  CHECK(etagd.get("/api/doc", {{"If-None-Match", weak_form(etag)}}).status == 304);
  CHECK(etagd.get("/api/weak", {{"If-None-Match", "W/\"w-1\""}}).status == 304);
  CHECK(etagd.get("/api/weak", {{"If-None-Match", "\"w-1\""}}).status == 304);
  CHECK(etagd.get("/api/weak", {{"If-None-Match", "\"w-2\""}}).status == 200);
  CHECK(origin.request_count() == 2);
}

TEST_CASE("a non-matching If-None-Match gets the full 200 from the cache") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  std::string etag = prime(etagd);

  HttpResponse r = etagd.get("/api/doc", {{"If-None-Match", "\"something-else\""}});
  CHECK(r.status == 200);
  CHECK(r.body == "document");
  CHECK(r.headers.get("ETag") == etag);
  CHECK(cache_status(r) == "HIT");
  CHECK(origin.request_count() == 1);
}

TEST_CASE("If-Modified-Since is answered from the stored Last-Modified") {
  ScriptedOrigin origin;
  std::string modified = http_date_from_now(-3600);
  origin.route("/api/doc", script::respond(200, {{"Last-Modified", modified}}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  prime(etagd);

  HttpResponse same = etagd.get("/api/doc", {{"If-Modified-Since", modified}});
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  HttpResponse later = etagd.get("/api/doc", {{"If-Modified-Since", http_date_from_now(-60)}});
  CHECK(later.status == 304);
  HttpResponse earlier = etagd.get("/api/doc", {{"If-Modified-Since", http_date_from_now(-7200)}});
  CHECK(earlier.status == 200);
  CHECK(earlier.body == "document");
  HttpResponse garbage = etagd.get("/api/doc", {{"If-Modified-Since", "yesterday-ish"}});
  CHECK(garbage.status == 200);
  CHECK(origin.request_count() == 1);
}

TEST_CASE("If-None-Match takes precedence over If-Modified-Since") {
  ScriptedOrigin origin;
  std::string modified = http_date_from_now(-3600);
  origin.route("/api/doc", script::respond(200, {{"Last-Modified", modified}}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  std::string etag = prime(etagd);

  // RFC 9110 §13.1.3: a recipient must ignore If-Modified-Since when If-None-Match is present.
  HttpResponse stale_tag =
      etagd.get("/api/doc", {{"If-None-Match", "\"old\""}, {"If-Modified-Since", modified}});
  CHECK(stale_tag.status == 200);
  HttpResponse good_tag = etagd.get(
      "/api/doc", {{"If-None-Match", etag}, {"If-Modified-Since", http_date_from_now(-7200)}});
  CHECK(good_tag.status == 304);
  CHECK(origin.request_count() == 1);
}

TEST_CASE("If-Modified-Since is ignored when the stored response has no Last-Modified") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  prime(etagd);

  HttpResponse r = etagd.get("/api/doc", {{"If-Modified-Since", http_date_from_now(0)}});
  CHECK(r.status == 200);
  CHECK(r.body == "document");
}

TEST_CASE("a HEAD with a matching If-None-Match gets a 304 too") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  std::string etag = prime(etagd);

  HttpResponse r = etagd.head("/api/doc", {{"If-None-Match", etag}});
  CHECK(r.status == 304);
  CHECK(r.headers.get("ETag") == etag);
  CHECK(origin.request_count() == 1);
}

TEST_CASE("a conditional header on a miss is not forwarded, etagd evaluates it itself") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});

  HttpResponse r = etagd.get("/api/doc", {{"If-None-Match", "\"client-has-this\""},
                                          {"If-Modified-Since", http_date_from_now(0)}});
  CHECK(r.status == 200);
  CHECK(r.body == "document");
  auto seen = origin.last_request();
  REQUIRE(seen);
  CHECK_FALSE(seen->headers.contains("If-None-Match"));
  CHECK_FALSE(seen->headers.contains("If-Modified-Since"));
}

TEST_CASE("the cache-status header's name is configurable, and it can be turned off") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {{"X-Cache", "from-origin"}}, "document"));
  {
    CachingEtagd etagd(origin, {.cache = "status_header: X-Edge-Cache", .rules = {kStoreApi}});
    HttpResponse miss = etagd.get("/api/doc");
    CHECK(miss.headers.get("X-Edge-Cache") == "MISS");
    HttpResponse hit = etagd.get("/api/doc");
    CHECK(hit.headers.get("X-Edge-Cache") == "HIT");
    CHECK(hit.headers.count("X-Edge-Cache") == 1);
  }
  {
    CachingEtagd etagd(origin, {.cache = "status_header: \"off\"", .rules = {kStoreApi}});
    etagd.get("/api/doc");
    HttpResponse hit = etagd.get("/api/doc");
    CHECK(hit.status == 200);
    // No status of etagd's own: the upstream's field is an ordinary one again.
    CHECK(hit.headers.all("X-Cache") == std::vector<std::string>{"from-origin"});
    CHECK(hit.headers.contains("Age"));
    CHECK(origin.request_count() == 2);  // one per etagd: the second one stored it too
  }
}

TEST_CASE("an upstream's own cache-status header never reaches the client") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {{"X-Cache", "HIT from some-cdn"}}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});

  HttpResponse miss = etagd.get("/api/doc");
  CHECK(miss.headers.all("X-Cache") == std::vector<std::string>{"MISS"});
  HttpResponse hit = etagd.get("/api/doc");
  CHECK(hit.headers.all("X-Cache") == std::vector<std::string>{"HIT"});
}

TEST_CASE("pipelined requests are answered in order, hits and misses alike") {
  ScriptedOrigin origin;
  origin.route("/api/slow", script::delayed(200ms, script::respond(200, {}, "slow miss")));
  origin.route("/api/doc", script::respond(200, {}, "document"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  std::string etag = prime(etagd);

  HttpClient client = etagd.client();
  client.send_request("GET", "/api/slow");
  client.send_request("GET", "/api/doc");
  client.send_request("GET", "/api/doc", {{"If-None-Match", etag}});
  client.send_request("HEAD", "/api/doc");
  client.send_request("GET", "/api/slow");
  HttpResponse slow = client.read_response();
  CHECK(slow.body == "slow miss");
  CHECK(cache_status(slow) == "MISS");
  HttpResponse hit = client.read_response();
  CHECK(hit.body == "document");
  CHECK(cache_status(hit) == "HIT");
  CHECK(client.read_response().status == 304);
  HttpResponse head = client.read_response();
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  HttpResponse slow_hit = client.read_response();
  CHECK(slow_hit.body == "slow miss");
  CHECK(cache_status(slow_hit) == "HIT");
  CHECK(origin.request_count() == 2);
}

TEST_CASE("every response carries a cache status, and Age only when served from the cache") {
  ScriptedOrigin origin;
  origin.set_default([](const OriginRequest& req, OriginReply& reply) {
    reply.reply(req.method == "POST" ? 201 : 200, {}, "answer to " + req.target);
  });
  CachingEtagd etagd(origin,
                     {.rules = {kStoreApi, "{ match: { prefix: /check/ }, cache: validate }",
                                "{ match: { prefix: /raw/ }, cache: bypass }"}});

  struct Case {
    const char* method;
    const char* target;
    const char* status;
    bool age;
  };
  for (const Case& c :
       {Case{"GET", "/api/doc", "MISS", false}, Case{"GET", "/api/doc", "HIT", true},
        Case{"HEAD", "/api/doc", "HIT", true}, Case{"GET", "/check/doc", "MISS", false},
        Case{"GET", "/raw/doc", "BYPASS", false}, Case{"POST", "/api/doc", "BYPASS", false}}) {
    CAPTURE(c.method);
    CAPTURE(c.target);
    HttpResponse r = etagd.request(c.method, c.target);
    CHECK(r.headers.count("Age") == (c.age ? 1 : 0));
    if (c.age) CHECK(age_of(r) >= 0);
    CHECK(cache_status(r) == c.status);
  }
}

TEST_CASE("a pass-through answer carries the upstream's own Age unchanged, and no other") {
  ScriptedOrigin origin;
  origin.route("/raw/aged", script::respond(200, {{"Age", "42"}}, "aged"));
  origin.route("/raw/fresh", script::respond(200, {}, "fresh"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /raw/ }, cache: bypass }"}});
  HttpResponse aged = etagd.get("/raw/aged");
  CHECK(aged.headers.all("Age") == std::vector<std::string>{"42"});
  CHECK_FALSE(etagd.get("/raw/fresh").headers.contains("Age"));
}

}  // namespace etagd::testing
