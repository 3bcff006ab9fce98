// `cache: validate`: every request goes to the origin and nothing is stored,
// but etagd hashes the body and answers a matching If-None-Match with 304, saving the
// bandwidth of the body (what Django's ConditionalGetMiddleware does inside the application).
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

const std::string kValidateApi = "{ match: { prefix: /api/ }, cache: validate }";

}  // namespace

TEST_CASE("validate mode forwards every request, stores nothing and tags every response") {
  ScriptedOrigin origin;
  std::string body = patterned_body(3000, 21);
  origin.route("/api/report", script::respond(200, {{"Cache-Control", "max-age=600"}}, body));
  CachingEtagd etagd(origin, {.rules = {kValidateApi}});

  std::string etag;
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = etagd.get("/api/report");
    CHECK(r.status == 200);
    CHECK(r.body == body);
    CHECK(cache_status(r) != "HIT");
    CHECK(is_strong_etag(r.headers.get("ETag")));
    if (i == 0) etag = r.headers.get("ETag");
    CHECK(r.headers.get("ETag") == etag);
  }
  CHECK(origin.request_count("/api/report") == 3);
}

TEST_CASE("validate mode answers a matching If-None-Match with 304 although the origin sent 200") {
  ScriptedOrigin origin;
  origin.route("/api/report", script::respond(200, {}, "report body"));
  CachingEtagd etagd(origin, {.rules = {kValidateApi}});
  std::string etag = etagd.get("/api/report").headers.get("ETag");
  REQUIRE_FALSE(etag.empty());

  HttpClient client = etagd.client();
  HttpResponse not_modified = client.get("/api/report", {{"If-None-Match", etag}});
  CHECK(not_modified.status == 304);
  CHECK(not_modified.body.empty());
  CHECK(not_modified.headers.get("ETag") == etag);
  // The origin saw a plain GET and sent the whole body; the client did not get it.
  auto seen = origin.last_request();
  REQUIRE(seen);
  CHECK_FALSE(seen->headers.contains("If-None-Match"));
  CHECK(origin.request_count("/api/report") == 2);
  // The connection is still in sync.
  CHECK(client.get("/api/report").body == "report body");

  HttpResponse changed = etagd.get("/api/report", {{"If-None-Match", "\"other\""}});
  CHECK(changed.status == 200);
  CHECK(changed.body == "report body");
  CHECK(origin.request_count("/api/report") == 4);
}

TEST_CASE("validate mode notices a changed body at once") {
  ScriptedOrigin origin;
  OriginResource report(200, {}, "version 1");
  origin.route("/api/report", report.handler());
  CachingEtagd etagd(origin, {.rules = {kValidateApi}});

  std::string etag = etagd.get("/api/report").headers.get("ETag");
  report.set_body("version 2");
  HttpResponse r = etagd.get("/api/report", {{"If-None-Match", etag}});
  CHECK(r.status == 200);
  CHECK(r.body == "version 2");
  CHECK(r.headers.get("ETag") != etag);
}

TEST_CASE("validate mode answers HEAD with the ETag of the body it fetched as GET") {
  ScriptedOrigin origin;
  origin.route("/api/report", script::respond(200, {}, "report body"));
  CachingEtagd etagd(origin, {.rules = {kValidateApi}});
  std::string etag = etagd.get("/api/report").headers.get("ETag");

  HttpClient client = etagd.client();
  HttpResponse head = client.request("HEAD", "/api/report");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.headers.get("ETag") == etag);
  CHECK(head.headers.get("Content-Length") == "11");
  HttpResponse conditional = client.request("HEAD", "/api/report", {{"If-None-Match", etag}});
  CHECK(conditional.status == 304);
  CHECK(client.get("/api/report").body == "report body");
  CHECK(origin.request_count("/api/report") == 4);
}

}  // namespace etagd::testing
