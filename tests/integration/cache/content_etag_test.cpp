// Content ETags: etagd hashes the body while it arrives and makes a strong
// ETag from the digest, so the same bytes get the same tag on every URL and every instance.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

const std::string kStoreApi = "{ match: { prefix: /api/ }, cache: store, ttl: 60s }";

}  // namespace

TEST_CASE("a GET through a store rule gets a strong content ETag and is stored") {
  ScriptedOrigin origin;
  origin.route("/api/items", script::respond(200, {{"Content-Type", "application/json"}},
                                             "[{\"id\":1},{\"id\":2}]"));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});

  HttpResponse first = etagd.get("/api/items");
  REQUIRE(first.status == 200);
  CHECK(first.body == "[{\"id\":1},{\"id\":2}]");
  CHECK(cache_status(first) == "MISS");
  std::string etag = first.headers.get("ETag");
  CHECK(is_strong_etag(etag));
  CHECK(etag.size() > 10);  // a digest, not a counter

  HttpResponse second = etagd.get("/api/items");
  CHECK(second.status == 200);
  CHECK(cache_status(second) == "HIT");
  CHECK(second.headers.get("ETag") == etag);
  CHECK(second.body == first.body);
  CHECK(origin.request_count("/api/items") == 1);
}

TEST_CASE("the same bytes get the same ETag on another URL and on another etagd instance") {
  ScriptedOrigin origin;
  std::string body = patterned_body(5000, 1);
  origin.route("/api/a", script::respond(200, {}, body));
  origin.route("/api/b", script::respond(200, {}, body));
  origin.route("/api/other", script::respond(200, {}, patterned_body(5000, 2)));
  CachingEtagd one(origin, {.rules = {kStoreApi}});
  CachingEtagd two(origin, {.rules = {kStoreApi}});

  std::string etag = one.get("/api/a").headers.get("ETag");
  REQUIRE(is_strong_etag(etag));
  CHECK(one.get("/api/b").headers.get("ETag") == etag);
  CHECK(two.get("/api/a").headers.get("ETag") == etag);
  CHECK(two.get("/api/b").headers.get("ETag") == etag);

  // One different byte... here many: the tag is a hash of the content, not of the URL.
  std::string other = one.get("/api/other").headers.get("ETag");
  CHECK(is_strong_etag(other));
  CHECK(other != etag);
}

TEST_CASE("a body that differs in one byte gets a different ETag") {
  ScriptedOrigin origin;
  std::string body = patterned_body(2048, 3);
  std::string changed = body;
  changed[1000] = static_cast<char>(changed[1000] ^ 1);
  origin.route("/api/v1", script::respond(200, {}, body));
  origin.route("/api/v2", script::respond(200, {}, changed));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});

  std::string a = etagd.get("/api/v1").headers.get("ETag");
  std::string b = etagd.get("/api/v2").headers.get("ETag");
  CHECK(is_strong_etag(a));
  CHECK(is_strong_etag(b));
  CHECK(a != b);
}

TEST_CASE("a chunked body gets the same ETag as the same bytes sent with Content-Length") {
  // The hash runs over the body as it streams in, across chunk boundaries, not over framing.
  ScriptedOrigin origin;
  std::string body = patterned_body(30000, 4);
  origin.route("/api/length", script::respond(200, {}, body));
  origin.route("/api/chunked",
               script::respond_chunked(
                   200, {}, {body.substr(0, 7), body.substr(7, 20000), body.substr(20007)}));
  CachingEtagd etagd(origin, {.rules = {kStoreApi}});

  HttpResponse by_length = etagd.get("/api/length");
  HttpResponse by_chunks = etagd.get("/api/chunked");
  REQUIRE(by_chunks.status == 200);
  CHECK(by_chunks.body == body);
  CHECK(is_strong_etag(by_length.headers.get("ETag")));
  CHECK(by_chunks.headers.get("ETag") == by_length.headers.get("ETag"));

  // The stored copy of the chunked response is served with a Content-Length.
  HttpResponse hit = etagd.get("/api/chunked");
  CHECK(cache_status(hit) == "HIT");
  CHECK(hit.headers.get("Content-Length") == std::to_string(body.size()));
  CHECK(hit.body == body);
}

TEST_CASE("etag: preserve keeps the upstream's ETag, strong or weak") {
  ScriptedOrigin origin;
  origin.route("/api/strong", script::respond(200, {{"ETag", "\"rev-17\""}}, "strong"));
  origin.route("/api/weak", script::respond(200, {{"ETag", "W/\"rev-18\""}}, "weak"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, etag: preserve }"}});

  CHECK(etagd.get("/api/strong").headers.get("ETag") == "\"rev-17\"");
  CHECK(etagd.get("/api/weak").headers.get("ETag") == "W/\"rev-18\"");
  // Also from the cache, and only once.
  HttpResponse hit = etagd.get("/api/strong");
  CHECK(cache_status(hit) == "HIT");
  CHECK(hit.headers.get("ETag") == "\"rev-17\"");
  CHECK(hit.headers.count("ETag") == 1);
}

TEST_CASE("etag: generate replaces the upstream's ETag with the content hash") {
  ScriptedOrigin origin;
  origin.route("/api/tagged", script::respond(200, {{"ETag", "\"upstream-tag\""}}, "same bytes"));
  origin.route("/api/untagged", script::respond(200, {}, "same bytes"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, etag: generate }"}});

  HttpResponse tagged = etagd.get("/api/tagged");
  HttpResponse untagged = etagd.get("/api/untagged");
  CHECK(tagged.headers.count("ETag") == 1);
  CHECK(tagged.headers.get("ETag") != "\"upstream-tag\"");
  CHECK(is_strong_etag(tagged.headers.get("ETag")));
  CHECK(tagged.headers.get("ETag") == untagged.headers.get("ETag"));
  // A client holding the upstream's tag does not get a 304 for it any more.
  HttpResponse old_tag = etagd.get("/api/tagged", {{"If-None-Match", "\"upstream-tag\""}});
  CHECK(old_tag.status == 200);
  CHECK(old_tag.body == "same bytes");
}

TEST_CASE("bypass mode streams the response through without a generated ETag") {
  ScriptedOrigin origin;
  origin.route("/raw/file", script::respond(200, {{"Content-Type", "text/plain"}}, "raw bytes"));
  origin.route("/raw/tagged", script::respond(200, {{"ETag", "\"origin-own\""}}, "tagged"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /raw/ }, cache: bypass }"}});

  HttpResponse first = etagd.get("/raw/file");
  CHECK(first.status == 200);
  CHECK(first.body == "raw bytes");
  CHECK_FALSE(first.headers.contains("ETag"));
  CHECK(cache_status(first) == "BYPASS");
  HttpResponse second = etagd.get("/raw/file");
  CHECK_FALSE(second.headers.contains("ETag"));
  CHECK(cache_status(second) == "BYPASS");
  CHECK(origin.request_count("/raw/file") == 2);
  // The upstream's own ETag passes through untouched.
  CHECK(etagd.get("/raw/tagged").headers.get("ETag") == "\"origin-own\"");
}

TEST_CASE("a body larger than max_object_size streams through without ETag and is not stored") {
  ScriptedOrigin origin;
  std::string big = patterned_body(4096 + 1, 5);
  origin.route("/api/big", script::respond(200, {}, big));
  // Without Content-Length etagd learns the size only while buffering: it must switch to
  // streaming when the limit is passed and send what it had buffered first.
  origin.route("/api/big-chunked",
               script::respond_chunked(200, {}, {big.substr(0, 3000), big.substr(3000)}));
  std::string fits = patterned_body(4096, 6);
  origin.route("/api/fits", script::respond(200, {}, fits));
  CachingEtagd etagd(origin, {.cache = "max_object_size: 4KiB, shards: 1", .rules = {kStoreApi}});

  for (const char* path : {"/api/big", "/api/big-chunked"}) {
    CAPTURE(path);
    for (int i = 0; i < 2; ++i) {
      HttpResponse r = etagd.get(path);
      CHECK(r.status == 200);
      CHECK(r.complete);
      CHECK(r.body == big);
      CHECK_FALSE(r.headers.contains("ETag"));
      CHECK(cache_status(r) != "HIT");
    }
    CHECK(origin.request_count(path) == 2);
  }

  // Exactly max_object_size is still stored.
  HttpResponse first = etagd.get("/api/fits");
  CHECK(is_strong_etag(first.headers.get("ETag")));
  HttpResponse second = etagd.get("/api/fits");
  CHECK(cache_status(second) == "HIT");
  CHECK(second.body == fits);
  CHECK(origin.request_count("/api/fits") == 1);
}

TEST_CASE("a cold instance answers 304 to the ETag another instance generated") {
  // A fleet behind a load balancer: the client's tag came from instance one, its next
  // request lands on instance two, which has never seen the URL. Same content, same tag.
  ScriptedOrigin origin;
  origin.route("/api/shared", script::respond(200, {}, patterned_body(1000, 7)));
  CachingEtagd one(origin, {.rules = {kStoreApi}});
  CachingEtagd two(origin, {.rules = {kStoreApi}});

  std::string etag = one.get("/api/shared").headers.get("ETag");
  REQUIRE(is_strong_etag(etag));
  HttpResponse revalidation = two.get("/api/shared", {{"If-None-Match", etag}});
  CHECK(revalidation.status == 304);
  CHECK(revalidation.body.empty());
  CHECK(revalidation.headers.get("ETag") == etag);
  // The client's validator is not forwarded: etagd needs the full body to hash and store.
  auto last = origin.last_request();
  REQUIRE(last);
  CHECK_FALSE(last->headers.contains("If-None-Match"));
  CHECK(origin.request_count("/api/shared") == 2);
  CHECK(cache_status(two.get("/api/shared")) == "HIT");
}

TEST_CASE("every worker makes the same ETag for the same bytes") {
  ScriptedOrigin origin;
  origin.route("/check/doc", script::respond(200, {}, patterned_body(9000, 8)));
  // validate mode stores nothing: each of the connections, spread over four workers, has its
  // response hashed by the worker that serves it.
  CachingEtagd etagd(
      origin, {.workers = "4", .rules = {"{ match: { prefix: /check/ }, cache: validate }"}});

  std::string first = etagd.get("/check/doc").headers.get("ETag");
  REQUIRE(is_strong_etag(first));
  for (int i = 0; i < 24; ++i) CHECK(etagd.get("/check/doc").headers.get("ETag") == first);
  CHECK(origin.request_count("/check/doc") == 25);
}

}  // namespace etagd::testing
