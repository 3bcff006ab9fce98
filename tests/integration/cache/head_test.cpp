// HEAD and GET share stored responses (RFC 9110 §9.3.2, RFC 9111 §4.3.5):
// a HEAD is answered from a stored GET, and a HEAD miss is fetched as GET so that the body
// can be hashed and stored for the GETs that follow.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

const std::string kStoreApi = "{ match: { prefix: /api/ }, cache: store, ttl: 60s }";

}  // namespace

TEST_CASE("HEAD after GET is a HIT with the stored fields and no body") {
  ScriptedOrigin origin;
  std::string body = patterned_body(1500, 31);
  origin.route("/api/doc", script::respond(200, {{"Content-Type", "text/plain"}}, body));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});
  std::string etag = etagd.get("/api/doc").headers.get("ETag");

  HttpClient client = etagd.client();
  HttpResponse head = client.request("HEAD", "/api/doc");
  CHECK(head.status == 200);
  CHECK(cache_status(head) == "HIT");
  CHECK(head.body.empty());
  CHECK(head.headers.get("Content-Length") == std::to_string(body.size()));
  CHECK(head.headers.get("ETag") == etag);
  CHECK(head.headers.get("Content-Type") == "text/plain");
  // No body bytes followed the head: the next response on the connection reads cleanly.
  HttpResponse get = client.get("/api/doc");
  CHECK(get.status == 200);
  CHECK(get.body == body);
  CHECK(origin.request_count("/api/doc") == 1);
}

TEST_CASE("a HEAD miss is fetched upstream as GET, so a later GET is a HIT") {
  ScriptedOrigin origin;
  std::string body = patterned_body(2500, 32);
  origin.route("/api/doc", script::respond(200, {}, body));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});

  HttpResponse head = etagd.head("/api/doc");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.headers.get("Content-Length") == std::to_string(body.size()));
  std::string etag = head.headers.get("ETag");
  CHECK(is_strong_etag(etag));
  auto seen = origin.last_request();
  REQUIRE(seen);
  CHECK(seen->method == "GET");

  HttpResponse get = etagd.get("/api/doc");
  CHECK(cache_status(get) == "HIT");
  CHECK(get.body == body);
  CHECK(get.headers.get("ETag") == etag);
  CHECK(origin.request_count("/api/doc") == 1);
}

TEST_CASE("a HEAD in bypass mode reaches the origin as HEAD") {
  ScriptedOrigin origin;
  origin.route("/raw/doc", script::respond(200, {}, "raw"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /raw/ }, cache: bypass }"}});

  HttpClient client = etagd.client();
  HttpResponse head = client.request("HEAD", "/raw/doc");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  auto seen = origin.last_request();
  REQUIRE(seen);
  CHECK(seen->method == "HEAD");
  CHECK(client.get("/raw/doc").body == "raw");
}

TEST_CASE("a HEAD miss for an object over max_object_size answers its length and no body") {
  ScriptedOrigin origin;
  std::string big = patterned_body(10000, 33);
  origin.route("/api/big", script::respond(200, {}, big));
  origin.route("/api/big-chunked",
               script::respond_chunked(200, {}, {big.substr(0, 5000), big.substr(5000)}));
  CachingEtagd etagd(origin, {.cache = "max_object_size: 4KiB, shards: 1", .rules = {kStoreApi}});

  HttpClient client = etagd.client();
  HttpResponse head = client.request("HEAD", "/api/big");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.headers.get("Content-Length") == std::to_string(big.size()));
  HttpResponse chunked_head = client.request("HEAD", "/api/big-chunked");
  CHECK(chunked_head.status == 200);
  CHECK(chunked_head.body.empty());
  // Nothing of the bodies etagd fetched leaked onto the connection.
  HttpResponse get = client.get("/api/big");
  CHECK(get.status == 200);
  CHECK(get.body == big);
}

}  // namespace etagd::testing
