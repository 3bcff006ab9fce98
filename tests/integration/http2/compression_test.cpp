// Compression over HTTP/2: the same representations, ETags and Vary as over HTTP/1.1 (RFC 9110
// §8.8.3, §12.5.3), carried in HEADERS and DATA frames. Bodies are checked by decoding them
// with the codec libraries.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "http2_harness.h"
#include "support/content_decoding.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

constexpr const char* kCompress =
    "compress: { encodings: [br, zstd, gzip], types: [application/json], min_size: 512B }";

std::string json_body(size_t n) {
  std::string s = "[";
  for (int i = 0; s.size() < n; ++i) s += "{\"id\":" + std::to_string(i) + ",\"ok\":true},";
  s.resize(n);
  return s;
}

TEST_CASE("over HTTP/2 a stored response comes in the client's coding with its own ETag, which gets a 304 with Vary") {
  ScriptedOrigin origin;
  const std::string content = json_body(8192);
  origin.route("/api/items", script::respond(200, {{"Content-Type", "application/json"}}, content));
  Http2Etagd etagd(origin, {.defaults = kCompress,
                            .rules = {"{ match: { prefix: /api/ }, cache: store, ttl: 60s }"}});

  CurlAnswer identity = curl_h2(etagd.port(), "/api/items");
  CHECK(identity.protocol == "HTTP/2");
  CHECK(identity.body == content);
  CHECK_FALSE(identity.headers.contains("content-encoding"));
  const std::string identity_etag = identity.headers.get("etag");
  REQUIRE(identity_etag.size() > 2);

  for (std::string coding : {"br", "zstd", "gzip"}) {
    CAPTURE(coding);
    CurlAnswer a = curl_h2(etagd.port(), "/api/items", {"-H", "Accept-Encoding: " + coding});
    CHECK(a.status == 200);
    CHECK(a.headers.get("x-cache") == "HIT");
    CHECK(a.headers.get("content-encoding") == coding);
    CHECK(a.headers.get("vary").find("Accept-Encoding") != std::string::npos);
    CHECK(a.headers.get("content-length") == std::to_string(a.body.size()));
    CHECK(etagd::test::decode_body(coding, a.body) == content);
    const std::string etag = a.headers.get("etag");
    CHECK(etag != identity_etag);

    CurlAnswer nm = curl_h2(etagd.port(), "/api/items",
                            {"-H", "Accept-Encoding: " + coding, "-H", "If-None-Match: " + etag});
    CHECK(nm.status == 304);
    CHECK(nm.headers.get("etag") == etag);
    CHECK(nm.headers.get("vary").find("Accept-Encoding") != std::string::npos);
    CHECK(nm.body.empty());
  }
  CHECK(origin.request_count("/api/items") == 1);
}

TEST_CASE("over HTTP/2 a bypassed read is encoded as it streams and decodes to the origin's body") {
  ScriptedOrigin origin;
  std::vector<std::string> chunks;
  std::string whole;
  for (int i = 0; i < 8; ++i) {
    chunks.push_back(json_body(8000 + 300 * i));
    whole += chunks.back();
  }
  origin.route("/api/feed", [chunks](const OriginRequest&, OriginReply& reply) {
    reply.reply_chunked(200, {{"Content-Type", "application/json"}, {"ETag", "\"f1\""}}, chunks,
                        {}, std::chrono::milliseconds(10));
  });
  Http2Etagd etagd(origin, {.defaults = kCompress,
                            .rules = {"{ match: { prefix: /api/ }, cache: bypass }"}});

  CurlAnswer a = curl_h2(etagd.port(), "/api/feed", {"-H", "Accept-Encoding: gzip"});
  CHECK(a.protocol == "HTTP/2");
  CHECK(a.status == 200);
  CHECK(a.headers.get("content-encoding") == "gzip");
  CHECK(a.headers.get("etag") == "\"f1-gzip\"");
  CHECK_FALSE(a.headers.contains("content-length"));
  CHECK(a.body.size() < whole.size());
  CHECK(etagd::test::decode_body("gzip", a.body) == whole);

  // The client revalidates the gzip bytes it holds: the upstream sees its own tag and the 304
  // names the client's.
  origin.route("/api/feed", [](const OriginRequest& req, OriginReply& reply) {
    if (req.headers.get("If-None-Match").find("\"f1\"") != std::string::npos) {
      reply.reply(304, {{"ETag", "\"f1\""}}, "");
    } else {
      reply.reply(200, {{"Content-Type", "application/json"}, {"ETag", "\"f2\""}}, "changed");
    }
  });
  CurlAnswer nm = curl_h2(etagd.port(), "/api/feed",
                          {"-H", "Accept-Encoding: gzip", "-H", "If-None-Match: \"f1-gzip\""});
  CHECK(nm.status == 304);
  CHECK(nm.headers.get("etag") == "\"f1-gzip\"");
  CHECK(nm.headers.get("vary").find("Accept-Encoding") != std::string::npos);
}

}  // namespace
}  // namespace etagd::testing
