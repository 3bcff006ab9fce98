// Cache-Control rewriting and header edits as clients see them through the
// cache: on misses, on hits from memory, on local 304s and on responses streamed through.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {

TEST_CASE("Cache-Control is rewritten per status class on misses, hits and local 304s") {
  ScriptedOrigin origin;
  origin.route("/api/ok", script::respond(200, {{"Cache-Control", "max-age=5"}}, "ok"));
  origin.route("/api/missing", script::respond(404, {{"Cache-Control", "max-age=5"}}, "nope"));
  origin.route("/api/moved",
               script::respond(301, {{"Location", "/api/ok"}, {"Cache-Control", "max-age=5"}}));
  CachingEtagd etagd(
      origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, cache_control: "
                         "{ 2xx: \"max-age=60, must-revalidate\", other: \"no-store\" } }"}});

  HttpResponse miss = etagd.get("/api/ok");
  CHECK(miss.headers.all("Cache-Control") ==
        std::vector<std::string>{"max-age=60, must-revalidate"});
  HttpResponse hit = etagd.get("/api/ok");
  CHECK(cache_status(hit) == "HIT");
  CHECK(hit.headers.all("Cache-Control") ==
        std::vector<std::string>{"max-age=60, must-revalidate"});
  HttpResponse not_modified = etagd.get("/api/ok", {{"If-None-Match", miss.headers.get("ETag")}});
  CHECK(not_modified.status == 304);
  CHECK(not_modified.headers.get("Cache-Control") == "max-age=60, must-revalidate");

  for (const char* path : {"/api/missing", "/api/moved"}) {
    CAPTURE(path);
    HttpResponse first = etagd.get(path);
    CHECK(first.headers.all("Cache-Control") == std::vector<std::string>{"no-store"});
    HttpResponse second = etagd.get(path);  // the rule ttl stores 404 and 301 too
    CHECK(cache_status(second) == "HIT");
    CHECK(second.headers.all("Cache-Control") == std::vector<std::string>{"no-store"});
  }
  CHECK(origin.request_count() == 3);
}

TEST_CASE("a status class without a Cache-Control value keeps the upstream's") {
  ScriptedOrigin origin;
  origin.route("/api/ok", script::respond(200, {{"Cache-Control", "max-age=5"}}, "ok"));
  origin.route("/api/missing", script::respond(404, {{"Cache-Control", "max-age=7"}}, "nope"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, "
                                        "cache_control: { 2xx: \"max-age=60\" } }"}});

  CHECK(etagd.get("/api/ok").headers.get("Cache-Control") == "max-age=60");
  CHECK(etagd.get("/api/missing").headers.get("Cache-Control") == "max-age=7");
  CHECK(etagd.get("/api/missing").headers.get("Cache-Control") == "max-age=7");
}

TEST_CASE("one Cache-Control string applies to every status, also when streamed through") {
  ScriptedOrigin origin;
  origin.route("/pass/ok", script::respond(200, {{"Cache-Control", "public, max-age=600"}}, "ok"));
  origin.route("/pass/error", script::respond(500, {}, "error"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /pass/ }, cache: bypass, "
                                        "cache_control: \"private, no-cache\" }"}});

  for (const char* path : {"/pass/ok", "/pass/error"}) {
    CAPTURE(path);
    HttpResponse r = etagd.get(path);
    CHECK(r.headers.all("Cache-Control") == std::vector<std::string>{"private, no-cache"});
  }
}

TEST_CASE("writes get the write rule's Cache-Control, reads the read rule's") {
  ScriptedOrigin origin;
  origin.route("/api/items", [](const OriginRequest& req, OriginReply& reply) {
    if (req.method == "POST") {
      reply.reply(201, {{"Cache-Control", "max-age=3600"}}, "created");
    } else {
      reply.reply(200, {}, "[]");
    }
  });
  CachingEtagd etagd(
      origin,
      {.rules = {"{ match: { methods: [GET, HEAD], prefix: /api/ }, ttl: 60s, "
                 "cache_control: { 2xx: \"max-age=60, must-revalidate\" } }",
                 "{ match: { methods: [POST, PUT, PATCH, DELETE], prefix: /api/ }, cache: bypass, "
                 "cache_control: \"no-cache, no-store, must-revalidate\" }"}});

  CHECK(etagd.get("/api/items").headers.get("Cache-Control") == "max-age=60, must-revalidate");
  HttpResponse created = etagd.request("POST", "/api/items", {}, "{}");
  CHECK(created.status == 201);
  CHECK(created.headers.all("Cache-Control") ==
        std::vector<std::string>{"no-cache, no-store, must-revalidate"});
}

TEST_CASE("header edits remove, set and add fields on misses and on hits") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200,
                                           {{"Server", "LegacyServer/1.2"},
                                            {"X-Powered-By", "PHP/5.6"},
                                            {"X-Frame-Options", "SAMEORIGIN"},
                                            {"X-Served-By", "origin"},
                                            {"Content-Type", "text/plain"}},
                                           "document"));
  CachingEtagd etagd(
      origin, {.defaults = "headers: { remove: [Server, X-Powered-By] }",
               .rules = {"{ match: { prefix: /api/ }, ttl: 60s, headers: { "
                         "set: { X-Frame-Options: DENY }, add: { X-Served-By: etagd } } }"}});

  HttpResponse miss = etagd.get("/api/doc");
  HttpResponse hit = etagd.get("/api/doc");
  CHECK(cache_status(hit) == "HIT");
  for (const HttpResponse* r : {&miss, &hit}) {
    CHECK_FALSE(r->headers.contains("Server"));
    CHECK_FALSE(r->headers.contains("X-Powered-By"));
    CHECK(r->headers.all("X-Frame-Options") == std::vector<std::string>{"DENY"});
    CHECK(r->headers.all("X-Served-By") == std::vector<std::string>{"origin", "etagd"});
    CHECK(r->headers.get("Content-Type") == "text/plain");
  }
}

TEST_CASE("header edits apply to responses streamed through in bypass mode") {
  ScriptedOrigin origin;
  origin.route(
      "/raw/doc",
      script::respond(200, {{"Server", "LegacyServer/1.2"}, {"X-Powered-By", "PHP/5.6"}}, "raw"));
  CachingEtagd etagd(origin, {.defaults = "headers: { remove: [Server, X-Powered-By] }",
                              .rules = {"{ match: { prefix: /raw/ }, cache: bypass, "
                                        "headers: { set: { X-Route: raw } } }"}});

  HttpResponse r = etagd.get("/raw/doc");
  CHECK(r.body == "raw");
  CHECK_FALSE(r.headers.contains("Server"));
  CHECK_FALSE(r.headers.contains("X-Powered-By"));
  CHECK(r.headers.get("X-Route") == "raw");
}

}  // namespace etagd::testing
