// Invalidation (RFC 9111 §4.4): a successful unsafe request drops the cached
// responses for its target, for the same-host URIs in Location and Content-Location, and for
// the prefixes its rule's `invalidate` list names.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

// Reads of everything are stored for a minute. Writes under /api/ also drop their collection
// ($parent); POST /reports/rebuild drops the /reports/cache/ tree. Writes elsewhere have no
// rule: only what RFC 9111 §4.4 says is dropped.
CacheSetup invalidation_setup() {
  return {.rules = {
              "{ match: { methods: [GET, HEAD], prefix: / }, ttl: 60s }",
              "{ match: { methods: [POST, PUT, PATCH, DELETE], prefix: /api/ }, cache: bypass, "
              "invalidate: [$parent] }",
              "{ match: { methods: [POST], path: /reports/rebuild }, cache: bypass, "
              "invalidate: [/reports/cache/] }",
          }};
}

// Every request is answered 200 with a body that names it, writes with `write_status`.
void serve_everything(ScriptedOrigin& origin, int write_status = 200,
                      HeaderFields write_fields = {}) {
  origin.set_default([write_status, write_fields](const OriginRequest& req, OriginReply& reply) {
    if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") {
      reply.reply(200, {}, "representation of " + req.target);
    } else {
      reply.reply(write_status, write_fields, req.method + " done");
    }
  });
}

// GETs `target` twice: the first stores it, the second must be a HIT.
void prime(const CachingEtagd& etagd, const std::string& target) {
  CAPTURE(target);
  etagd.get(target);
  REQUIRE(cache_status(etagd.get(target)) == "HIT");
}

// One GET of `target`: true if it was answered from the cache (a miss stores it again).
bool still_cached(const CachingEtagd& etagd, const std::string& target) {
  HttpResponse r = etagd.get(target);
  CHECK(r.body == "representation of " + target);
  return cache_status(r) == "HIT";
}

}  // namespace

TEST_CASE("a successful POST, PUT, PATCH or DELETE drops the cached GET of its target") {
  ScriptedOrigin origin;
  serve_everything(origin);
  CachingEtagd etagd(origin, invalidation_setup());

  int n = 0;
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    CAPTURE(method);
    std::string target = "/docs/" + std::to_string(++n);
    std::string sibling = target + "/comments";
    prime(etagd, target);
    prime(etagd, sibling);
    HttpResponse write = etagd.request(method, target, {}, "{}");
    CHECK(write.status == 200);
    CHECK_FALSE(still_cached(etagd, target));
    CHECK(still_cached(etagd, target));   // stored again by the GET that missed
    CHECK(still_cached(etagd, sibling));  // only the target itself, without a rule
  }
}

TEST_CASE("a successful write also drops its Location and Content-Location on the same host") {
  ScriptedOrigin origin;
  CachingEtagd* proxy = nullptr;
  origin.set_default([&proxy](const OriginRequest& req, OriginReply& reply) {
    if (req.method == "GET") {
      reply.reply(200, {}, "representation of " + req.target);
      return;
    }
    std::string self = "http://127.0.0.1:" + std::to_string(proxy->port());
    reply.reply(201, {{"Location", "/docs/7"}, {"Content-Location", self + "/docs/8?view=full"}},
                "created");
  });
  CachingEtagd etagd(origin, invalidation_setup());
  proxy = &etagd;
  for (const char* target : {"/docs/7", "/docs/8?view=full", "/docs/9"}) prime(etagd, target);

  CHECK(etagd.request("POST", "/docs", {}, "{}").status == 201);
  CHECK_FALSE(still_cached(etagd, "/docs/7"));
  CHECK_FALSE(still_cached(etagd, "/docs/8?view=full"));
  CHECK(still_cached(etagd, "/docs/9"));
}

TEST_CASE("a Location on another host does not drop anything here") {
  ScriptedOrigin origin;
  serve_everything(origin, 201,
                   {{"Location", "http://elsewhere.example/docs/7"},
                    {"Content-Location", "//elsewhere.example/docs/8"}});
  CachingEtagd etagd(origin, invalidation_setup());
  prime(etagd, "/docs/7");
  prime(etagd, "/docs/8");

  CHECK(etagd.request("POST", "/docs", {}, "{}").status == 201);
  CHECK(still_cached(etagd, "/docs/7"));
  CHECK(still_cached(etagd, "/docs/8"));
}

TEST_CASE("invalidate: [$parent] drops the collection and all its query variants") {
  ScriptedOrigin origin;
  serve_everything(origin);
  CachingEtagd etagd(origin, invalidation_setup());
  for (const char* target : {"/api/items", "/api/items?page=2", "/api/items/1", "/api/items/2",
                             "/api/users", "/docs/1"}) {
    prime(etagd, target);
  }

  CHECK(etagd.request("PUT", "/api/items/1", {}, "{\"name\":\"new\"}").status == 200);
  CHECK_FALSE(still_cached(etagd, "/api/items"));
  CHECK_FALSE(still_cached(etagd, "/api/items?page=2"));
  CHECK_FALSE(still_cached(etagd, "/api/items/1"));
  CHECK_FALSE(still_cached(etagd, "/api/items/2"));  // under the collection prefix too
  CHECK(still_cached(etagd, "/api/users"));
  CHECK(still_cached(etagd, "/docs/1"));
}

TEST_CASE("invalidate: [$parent] respects segments: a sibling sharing the first letters stays") {
  ScriptedOrigin origin;
  serve_everything(origin);
  CachingEtagd etagd(origin, invalidation_setup());
  for (const char* target : {"/api/users", "/api/users?page=2", "/api/users/2", "/api/usersettings",
                             "/api/users-archive/1", "/api/userssettings?x=1"}) {
    prime(etagd, target);
  }

  CHECK(etagd.request("PUT", "/api/users/1", {}, "{}").status == 200);
  CHECK_FALSE(still_cached(etagd, "/api/users"));
  CHECK_FALSE(still_cached(etagd, "/api/users?page=2"));
  CHECK_FALSE(still_cached(etagd, "/api/users/2"));
  CHECK(still_cached(etagd, "/api/usersettings"));
  CHECK(still_cached(etagd, "/api/users-archive/1"));
  CHECK(still_cached(etagd, "/api/userssettings?x=1"));
}

TEST_CASE("a literal invalidate prefix drops everything under it") {
  ScriptedOrigin origin;
  serve_everything(origin);
  CachingEtagd etagd(origin, invalidation_setup());
  for (const char* target : {"/reports/cache/a", "/reports/cache/b?year=2024", "/reports/index"}) {
    prime(etagd, target);
  }

  CHECK(etagd.request("POST", "/reports/rebuild", {}, "").status == 200);
  CHECK_FALSE(still_cached(etagd, "/reports/cache/a"));
  CHECK_FALSE(still_cached(etagd, "/reports/cache/b?year=2024"));
  CHECK(still_cached(etagd, "/reports/index"));
}

TEST_CASE("a failed write invalidates nothing") {
  for (int status : {400, 404, 409, 500, 503}) {
    CAPTURE(status);
    ScriptedOrigin origin;
    serve_everything(origin, status);
    CachingEtagd etagd(origin, invalidation_setup());
    prime(etagd, "/api/items");
    prime(etagd, "/api/items/1");

    CHECK(etagd.request("POST", "/api/items/1", {}, "{}").status == status);
    CHECK(still_cached(etagd, "/api/items/1"));
    CHECK(still_cached(etagd, "/api/items"));
  }
}

TEST_CASE("a redirect answer to a write invalidates like a success") {
  ScriptedOrigin origin;
  serve_everything(origin, 303, {{"Location", "/docs/2"}});
  CachingEtagd etagd(origin, invalidation_setup());
  prime(etagd, "/docs/1");
  prime(etagd, "/docs/2");

  CHECK(etagd.request("POST", "/docs/1", {}, "{}").status == 303);
  CHECK_FALSE(still_cached(etagd, "/docs/1"));
  CHECK_FALSE(still_cached(etagd, "/docs/2"));
}

TEST_CASE("a method etagd does not know, such as MKCOL, is unsafe: success drops its target") {
  ScriptedOrigin origin;
  serve_everything(origin);
  CachingEtagd etagd(origin, invalidation_setup());
  prime(etagd, "/docs/5");

  HttpResponse r = etagd.request("MKCOL", "/docs/5", {}, "");
  CHECK(r.status == 200);
  CHECK(r.body == "MKCOL done");
  CHECK_FALSE(still_cached(etagd, "/docs/5"));
}

TEST_CASE("an extension method is forwarded, and its success drops its target") {
  ScriptedOrigin origin;
  serve_everything(origin);
  CachingEtagd etagd(origin, invalidation_setup());
  prime(etagd, "/docs/5");

  HttpResponse r = etagd.request("FROBNICATE", "/docs/5", {}, "");
  CHECK(r.status == 200);
  CHECK(r.body == "FROBNICATE done");
  CHECK_FALSE(still_cached(etagd, "/docs/5"));
}

TEST_CASE("a safe method such as OPTIONS drops nothing") {
  ScriptedOrigin origin;
  serve_everything(origin);
  CachingEtagd etagd(origin, invalidation_setup());
  prime(etagd, "/docs/6");

  CHECK(etagd.request("OPTIONS", "/docs/6").status == 200);
  CHECK(still_cached(etagd, "/docs/6"));
}

TEST_CASE("an invalidated entry is dropped for HEAD and for every variant") {
  ScriptedOrigin origin;
  origin.set_default([](const OriginRequest& req, OriginReply& reply) {
    if (req.method != "GET") {
      reply.reply(204);
      return;
    }
    reply.reply(200, {{"Vary", "Accept-Language"}},
                "representation of " + req.target + " in " + req.headers.get("Accept-Language"));
  });
  CachingEtagd etagd(origin, invalidation_setup());
  for (const char* language : {"en", "de"}) {
    etagd.get("/docs/3", {{"Accept-Language", language}});
    REQUIRE(cache_status(etagd.get("/docs/3", {{"Accept-Language", language}})) == "HIT");
  }

  CHECK(etagd.request("DELETE", "/docs/3").status == 204);
  CHECK(cache_status(etagd.head("/docs/3", {{"Accept-Language", "en"}})) == "MISS");
  CHECK(cache_status(etagd.get("/docs/3", {{"Accept-Language", "de"}})) == "MISS");
}

namespace {

// An origin whose GETs answer "version N" with the N current when the request arrived (after
// 600 ms for a ?slow query), and where every write bumps N.
struct VersionedOrigin {
  ScriptedOrigin origin;
  std::atomic<int> version{1};

  VersionedOrigin() {
    origin.set_default([this](const OriginRequest& req, OriginReply& reply) {
      if (req.method != "GET") {
        ++version;
        reply.reply(204);
        return;
      }
      std::string body = "version " + std::to_string(version.load());
      if (req.query == "slow" && !reply.sleep(600ms)) return;
      reply.reply(200, {}, body);
    });
  }
  std::string current() const { return "version " + std::to_string(version.load()); }
};

// GETs `target` (slow at the origin) and, while that GET is upstream, PUTs `write_target`.
// Returns what a GET of `target` gets afterwards.
HttpResponse read_after_racing_write(const CachingEtagd& etagd, VersionedOrigin& versioned,
                                     const std::string& target, const std::string& write_target) {
  std::string before = versioned.current();
  std::thread reader([&] { CHECK(etagd.get(target).body == before); });
  bool upstream = eventually(
      [&] {
        auto last = versioned.origin.last_request();
        return last && last->target == target;
      },
      2000ms);
  CHECK(upstream);
  CHECK(etagd.request("PUT", write_target, {}, "{}").status == 204);
  reader.join();
  return etagd.get(target);
}

}  // namespace

TEST_CASE("a write that succeeds while a GET of its target is upstream wins over that GET") {
  // The GET's response may describe the state before the write; storing it would serve that
  // old state for the whole ttl after a successful write.
  VersionedOrigin versioned;
  CachingEtagd etagd(versioned.origin, invalidation_setup());

  HttpResponse after = read_after_racing_write(etagd, versioned, "/docs/1?slow", "/docs/1?slow");
  CHECK(after.body == versioned.current());
  CHECK(cache_status(after) != "HIT");
}

TEST_CASE("a write whose rule drops a prefix wins over a GET under it that was upstream") {
  VersionedOrigin versioned;
  CachingEtagd etagd(versioned.origin, invalidation_setup());

  HttpResponse after = read_after_racing_write(etagd, versioned, "/api/items?slow",
                                               "/api/items/1");  // $parent: /api/items
  CHECK(after.body == versioned.current());
  CHECK(cache_status(after) != "HIT");
}

TEST_CASE("invalidate: [$path] drops the written path and everything below it") {
  ScriptedOrigin origin;
  serve_everything(origin);
  CachingEtagd etagd(origin, {.rules = {"{ match: { methods: [GET], prefix: / }, ttl: 60s }",
                                        "{ match: { methods: [PUT], prefix: /things/ }, "
                                        "invalidate: [$path] }"}});
  for (const char* target : {"/things/1", "/things/1?view=full", "/things/1/parts", "/things/2",
                             "/things", "/things/10", "/things/1x"}) {
    prime(etagd, target);
  }

  CHECK(etagd.request("PUT", "/things/1", {}, "{}").status == 200);
  CHECK_FALSE(still_cached(etagd, "/things/1"));
  CHECK_FALSE(still_cached(etagd, "/things/1?view=full"));
  CHECK_FALSE(still_cached(etagd, "/things/1/parts"));
  CHECK(still_cached(etagd, "/things/2"));
  CHECK(still_cached(etagd, "/things"));
  CHECK(still_cached(etagd, "/things/10"));  // segments, not bytes: /things/1 is not /things/10
  CHECK(still_cached(etagd, "/things/1x"));
}

}  // namespace etagd::testing
