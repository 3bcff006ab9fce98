// The policy of conf/etagd.yaml, through the real binary: Cache-Control per method and status
// class, header edits, and what each mode does to a response.
#include <doctest/doctest.h>

#include <string>

#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/origin_scripts.h"
#include "support/scripted_origin.h"

using namespace etagd::testing;

namespace {

const char* kApiRules = R"(rules:
  - name: api-reads
    match: { methods: [GET, HEAD], prefix: /api/ }
    cache: store
    ttl: 60s
    key_headers: [Authorization]
    cache_control:
      2xx: "max-age=60, must-revalidate"
      other: "no-store"
    headers:
      remove: [Server, X-Powered-By]
      set: { X-Frame-Options: DENY }
      add: { X-Served-By: etagd-test }
  - name: api-writes
    match: { methods: [POST, PUT, PATCH, DELETE], prefix: /api/ }
    cache: bypass
    cache_control: "no-cache, no-store, must-revalidate"
    invalidate: [$parent]
)";

struct Setup {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  Setup() {
    origin.route("/api/*", [](const OriginRequest& req, OriginReply& reply) {
      if (req.path == "/api/missing") {
        reply.reply(404, {{"Cache-Control", "max-age=5"}}, "not here");
        return;
      }
      reply.reply(200,
                  {{"Content-Type", "application/json"},
                   {"Cache-Control", "max-age=3"},
                   {"Server", "legacy/1.0"},
                   {"X-Powered-By", "PHP/5.2"},
                   {"X-Frame-Options", "SAMEORIGIN"}},
                  "{\"path\":\"" + req.path + "\",\"method\":\"" + req.method + "\"}");
    });
  }
};

}  // namespace

TEST_CASE("GET 2xx under /api/ gets the rule's Cache-Control instead of the upstream's") {
  Setup s;
  EtagdProcess etagd(basic_config(s.port, s.origin.port(), kApiRules), s.port);
  etagd.wait_ready();
  HttpResponse r = http_get(s.port, "/api/items/1");
  CHECK(r.status == 200);
  CHECK(r.headers.get("Cache-Control") == "max-age=60, must-revalidate");
  CHECK(r.headers.count("Cache-Control") == 1);
  // Stored for the rule's 60 s, not the upstream's 3 s.
  CHECK(http_get(s.port, "/api/items/1").headers.get("X-Cache") == "HIT");
  // HEAD follows the same rule.
  HttpClient c(s.port);
  HttpResponse head = c.request("HEAD", "/api/items/1");
  CHECK(head.headers.get("Cache-Control") == "max-age=60, must-revalidate");
  CHECK(head.body.empty());
}

TEST_CASE("non-2xx answers get the rule's `other` Cache-Control") {
  Setup s;
  EtagdProcess etagd(basic_config(s.port, s.origin.port(), kApiRules), s.port);
  etagd.wait_ready();
  HttpResponse r = http_get(s.port, "/api/missing");
  CHECK(r.status == 404);
  CHECK(r.headers.get("Cache-Control") == "no-store");
}

TEST_CASE("POST, PUT, PATCH and DELETE get no-cache, no-store, must-revalidate") {
  Setup s;
  EtagdProcess etagd(basic_config(s.port, s.origin.port(), kApiRules), s.port);
  etagd.wait_ready();
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    HttpResponse r = http_request(s.port, method, "/api/items/1", {}, "{}");
    CAPTURE(method);
    CHECK(r.status == 200);
    CHECK(r.headers.get("Cache-Control") == "no-cache, no-store, must-revalidate");
    CHECK(r.headers.get("X-Cache") == "BYPASS");
    CHECK(r.body.find(method) != std::string::npos);
  }
}

TEST_CASE("header edits remove, set and add response fields") {
  Setup s;
  EtagdProcess etagd(basic_config(s.port, s.origin.port(), kApiRules), s.port);
  etagd.wait_ready();
  for (int i = 0; i < 2; ++i) {  // from the upstream, then from the cache
    HttpResponse r = http_get(s.port, "/api/edits");
    CHECK_FALSE(r.headers.contains("Server"));
    CHECK_FALSE(r.headers.contains("X-Powered-By"));
    CHECK(r.headers.get("X-Frame-Options") == "DENY");
    CHECK(r.headers.count("X-Frame-Options") == 1);
    CHECK(r.headers.get("X-Served-By") == "etagd-test");
  }
  // A path outside the rules keeps the upstream's fields.
  HttpResponse other = http_get(s.port, "/elsewhere");
  CHECK(other.status == 200);
}

TEST_CASE("a write invalidates the collection named by $parent") {
  Setup s;
  EtagdProcess etagd(basic_config(s.port, s.origin.port(), kApiRules), s.port);
  etagd.wait_ready();
  REQUIRE(http_get(s.port, "/api/items").status == 200);
  REQUIRE(http_get(s.port, "/api/items?page=2").status == 200);
  REQUIRE(http_get(s.port, "/api/items?page=2").headers.get("X-Cache") == "HIT");
  REQUIRE(http_request(s.port, "PUT", "/api/items/7", {}, "{}").status == 200);
  CHECK(http_get(s.port, "/api/items").headers.get("X-Cache") == "MISS");
  CHECK(http_get(s.port, "/api/items?page=2").headers.get("X-Cache") == "MISS");
}

TEST_CASE("requests with different Authorization never share a cached response") {
  Setup s;
  s.origin.route("/api/me", [](const OriginRequest& req, OriginReply& reply) {
    reply.reply(200, {}, "user " + req.headers.get("Authorization"));
  });
  EtagdProcess etagd(basic_config(s.port, s.origin.port(), kApiRules), s.port);
  etagd.wait_ready();
  CHECK(http_get(s.port, "/api/me", {{"Authorization", "Bearer alice"}}).body == "user Bearer alice");
  CHECK(http_get(s.port, "/api/me", {{"Authorization", "Bearer bob"}}).body == "user Bearer bob");
  HttpResponse again = http_get(s.port, "/api/me", {{"Authorization", "Bearer alice"}});
  CHECK(again.body == "user Bearer alice");
  CHECK(again.headers.get("X-Cache") == "HIT");
}

TEST_CASE("a private upstream response is stored only when the rule says to ignore its Cache-Control") {
  ScriptedOrigin origin;
  origin.route("/legacy/*", script::respond(200, {{"Cache-Control", "private, no-store"}}, "legacy"));
  uint16_t port = free_port();
  const char* rules = R"(rules:
  - match: { prefix: /legacy/forced/ }
    ttl: 60s
    ignore_upstream_cache_control: true
  - match: { prefix: /legacy/ }
    ttl: 60s
)";
  EtagdProcess etagd(basic_config(port, origin.port(), rules), port);
  etagd.wait_ready();
  http_get(port, "/legacy/plain/1");
  CHECK(http_get(port, "/legacy/plain/1").headers.get("X-Cache") == "MISS");
  http_get(port, "/legacy/forced/1");
  CHECK(http_get(port, "/legacy/forced/1").headers.get("X-Cache") == "HIT");
  CHECK(origin.request_count("/legacy/forced/1") == 1);
}

TEST_CASE("a rule's Cache-Control does not replace an upstream's private or no-store") {
  // The upstream says its answer is per user: a browser's cache or a CDN after etagd must not
  // be told they may store it for everybody.
  ScriptedOrigin origin;
  origin.route("/api/private", script::respond(200, {{"Cache-Control", "private, max-age=5"}}, "mine"));
  origin.route("/api/no-store", script::respond(200, {{"Cache-Control", "no-store"}}, "mine"));
  origin.route("/api/plain", script::respond(200, {{"Cache-Control", "max-age=5"}}, "everyone's"));
  uint16_t port = free_port();
  const char* rules = R"(rules:
  - match: { prefix: /api/ }
    ttl: 60s
    cache_control: "max-age=60"
)";
  EtagdProcess etagd(basic_config(port, origin.port(), rules), port);
  etagd.wait_ready();
  HttpResponse priv = http_get(port, "/api/private");
  CHECK(priv.headers.get("Cache-Control") == "private, max-age=5");
  CHECK(priv.headers.get("X-Cache") == "MISS");
  CHECK(http_get(port, "/api/no-store").headers.get("Cache-Control") == "no-store");
  CHECK(http_get(port, "/api/plain").headers.get("Cache-Control") == "max-age=60");
}

TEST_CASE("an answer with a Set-Cookie etagd did not store keeps the upstream's Cache-Control") {
  // A later shared cache that stored it under the rule's max-age would replay the cookie to
  // everybody.
  ScriptedOrigin origin;
  origin.route("/api/login", script::respond(200, {{"Set-Cookie", "sessionid=alice"}}, "welcome"));
  origin.route("/api/private-login",
               script::respond(200, {{"Set-Cookie", "sessionid=bob"}}, "welcome"));
  uint16_t port = free_port();
  const char* rules = R"(rules:
  - match: { prefix: /api/private-login }
    ttl: 60s
    cache_control: "private, max-age=60"
  - match: { prefix: /api/ }
    ttl: 60s
    cache_control: "public, max-age=60"
)";
  EtagdProcess etagd(basic_config(port, origin.port(), rules), port);
  etagd.wait_ready();
  HttpResponse login = http_get(port, "/api/login");
  CHECK(login.headers.get("Set-Cookie") == "sessionid=alice");
  CHECK(login.headers.count("Cache-Control") == 0);
  // A rule that keeps it private still applies.
  CHECK(http_get(port, "/api/private-login").headers.get("Cache-Control") ==
        "private, max-age=60");
}

TEST_CASE("under ignore_upstream_cache_control a stored private answer gets the rule's Cache-Control") {
  // The operator's explicit override: etagd stores and shares it, and says so downstream.
  ScriptedOrigin origin;
  origin.route("/legacy/*", script::respond(200, {{"Cache-Control", "private"}}, "legacy"));
  uint16_t port = free_port();
  const char* rules = R"(rules:
  - match: { prefix: /legacy/ }
    ttl: 60s
    ignore_upstream_cache_control: true
    cache_control: "max-age=60"
)";
  EtagdProcess etagd(basic_config(port, origin.port(), rules), port);
  etagd.wait_ready();
  CHECK(http_get(port, "/legacy/a").headers.get("Cache-Control") == "max-age=60");
  HttpResponse again = http_get(port, "/legacy/a");
  CHECK(again.headers.get("X-Cache") == "HIT");
  CHECK(again.headers.get("Cache-Control") == "max-age=60");
}

TEST_CASE("an answer keyed on the user's Authorization carries private before the rule's value") {
  // etagd keeps one copy per user; a CDN after it reading only the rule's must-revalidate
  // could store it and serve it to other users (RFC 9111 §3.5). private keeps it to the
  // user's own cache, which still revalidates as the rule says.
  Setup s;
  s.origin.route("/api/me", [](const OriginRequest& req, OriginReply& reply) {
    reply.reply(200, {{"Cache-Control", "max-age=3"}}, "user " + req.headers.get("Authorization"));
  });
  EtagdProcess etagd(basic_config(s.port, s.origin.port(), kApiRules), s.port);
  etagd.wait_ready();
  const HeaderFields alice{{"Authorization", "Bearer alice"}};
  HttpResponse miss = http_get(s.port, "/api/me", alice);
  CHECK(miss.headers.get("X-Cache") == "MISS");
  CHECK(miss.headers.get("Cache-Control") == "private, max-age=60, must-revalidate");
  HttpResponse hit = http_get(s.port, "/api/me", alice);
  CHECK(hit.headers.get("X-Cache") == "HIT");
  CHECK(hit.body == "user Bearer alice");
  CHECK(hit.headers.get("Cache-Control") == "private, max-age=60, must-revalidate");
  HttpResponse not_modified = http_get(
      s.port, "/api/me", {{"Authorization", "Bearer alice"}, {"If-None-Match", hit.headers.get("ETag")}});
  CHECK(not_modified.status == 304);
  CHECK(not_modified.headers.get("Cache-Control") == "private, max-age=60, must-revalidate");
  // The anonymous copy is everybody's.
  CHECK(http_get(s.port, "/api/me").headers.get("Cache-Control") == "max-age=60, must-revalidate");
  CHECK(s.origin.request_count("/api/me") == 2);
}

TEST_CASE("an answer the origin made shareable keeps the rule's value for a request with Authorization") {
  ScriptedOrigin origin;
  origin.route("/api/news", script::respond(200, {{"Cache-Control", "public, max-age=5"}}, "news"));
  uint16_t port = free_port();
  const char* rules = R"(rules:
  - match: { prefix: /api/ }
    ttl: 60s
    key_headers: [Authorization]
    cache_control: "max-age=60, must-revalidate"
)";
  EtagdProcess etagd(basic_config(port, origin.port(), rules), port);
  etagd.wait_ready();
  for (int i = 0; i < 2; ++i) {  // from the upstream, then from the cache
    HttpResponse r = http_get(port, "/api/news", {{"Authorization", "Bearer alice"}});
    CHECK(r.headers.get("Cache-Control") == "max-age=60, must-revalidate");
  }
}

TEST_CASE("an answer keyed on the session cookie carries private, without the rule's s-maxage and public") {
  // private forbids shared caches (RFC 9111 §5.2.2.7): what the rule addresses to them alone
  // would contradict it. A request without the session cookie shares the anonymous copy.
  ScriptedOrigin origin;
  origin.route("/api/cart", [](const OriginRequest& req, OriginReply& reply) {
    reply.reply(200, {{"Cache-Control", "max-age=3"}}, "cart of " + req.headers.get("Cookie"));
  });
  uint16_t port = free_port();
  const char* rules = R"(rules:
  - match: { prefix: /api/ }
    ttl: 60s
    key_cookies: [sessionid]
    cache_control: "public, s-maxage=600, max-age=60"
)";
  EtagdProcess etagd(basic_config(port, origin.port(), rules), port);
  etagd.wait_ready();
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = http_get(port, "/api/cart", {{"Cookie", "theme=dark; sessionid=s1"}});
    CHECK(r.headers.get("Cache-Control") == "private, max-age=60");
  }
  HttpResponse tracked = http_get(port, "/api/cart", {{"Cookie", "theme=dark"}});
  CHECK(tracked.headers.get("Cache-Control") == "public, s-maxage=600, max-age=60");
}

TEST_CASE("an unstored answer to a request with Authorization carries private before the rule's value") {
  // The rule keys on neither: the answer is not stored (RFC 9111 §3.5), but a CDN after etagd
  // must not be told it may share it either.
  ScriptedOrigin origin;
  origin.route("/api/me", [](const OriginRequest& req, OriginReply& reply) {
    reply.reply(200, {{"Cache-Control", "max-age=3"}}, "user " + req.headers.get("Authorization"));
  });
  uint16_t port = free_port();
  const char* rules = R"(rules:
  - match: { prefix: /api/ }
    ttl: 60s
    key_cookies: [sessionid]
    cache_control: "max-age=60, must-revalidate"
)";
  EtagdProcess etagd(basic_config(port, origin.port(), rules), port);
  etagd.wait_ready();
  HttpResponse r = http_get(port, "/api/me", {{"Authorization", "Bearer alice"}});
  CHECK(r.body == "user Bearer alice");
  CHECK(r.headers.get("Cache-Control") == "private, max-age=60, must-revalidate");
}
