// Interim responses over HTTP/2 (RFC 9110 §15.2, RFC 9113 §8.1): a 103 Early Hints from the
// origin reaches an HTTP/2 client as a HEADERS frame before the final response's, with the
// connection-specific fields taken out; it is never stored, so a hit does not replay it.
#include <doctest/doctest.h>

#include <string>

#include "http2_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

const std::string kStoreApi = "{ match: { prefix: /api/ }, cache: store, ttl: 60s }";

OriginHandler hints_then_page() {
  return [](const OriginRequest&, OriginReply& r) {
    r.interim(103, {{"Link", "</style.css>; rel=preload; as=style"}, {"Connection", "X-Hop"},
                    {"X-Hop", "1"}});
    r.reply(200, {{"Content-Type", "text/html"}}, "<p>page</p>");
  };
}

std::string get_of(uint16_t port, std::string_view path) {
  return probe_request({{":method", "GET"},
                        {":scheme", "http"},
                        {":authority", "127.0.0.1:" + std::to_string(port)},
                        {":path", std::string(path)}});
}

TEST_CASE("over HTTP/2 a 103 Early Hints from the origin reaches the client before the final response") {
  ScriptedOrigin origin;
  origin.route("/api/page", hints_then_page());
  Http2Etagd etagd(origin, {.rules = {kStoreApi}});

  std::string out = h2_probe(etagd.port(), "request", "[" + get_of(etagd.port(), "/api/page") + "]");
  INFO(out);
  CHECK(out.find("stream 1 interim 103\n") != std::string::npos);
  CHECK(out.find("stream 1 interim 103 header link: </style.css>; rel=preload; as=style") !=
        std::string::npos);
  // Connection-specific fields never go into HTTP/2 (RFC 9113 §8.2.2), nor what they name.
  CHECK(out.find("interim 103 header connection") == std::string::npos);
  CHECK(out.find("interim 103 header x-hop") == std::string::npos);
  CHECK(out.find("after-final") == std::string::npos);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("stream 1 body 11 bytes") != std::string::npos);
  CHECK(out.find("stream 1 header x-cache: MISS") != std::string::npos);
  CHECK(out.find("reset") == std::string::npos);
  CHECK(origin.request_count("/api/page") == 1);
}

TEST_CASE("over HTTP/2 a hit does not replay the 103 Early Hints the origin sent with the stored answer") {
  ScriptedOrigin origin;
  origin.route("/api/page", hints_then_page());
  Http2Etagd etagd(origin, {.rules = {kStoreApi}});

  std::string first = h2_probe(etagd.port(), "request", "[" + get_of(etagd.port(), "/api/page") + "]");
  REQUIRE(first.find("stream 1 interim 103") != std::string::npos);
  std::string second = h2_probe(etagd.port(), "request", "[" + get_of(etagd.port(), "/api/page") + "]");
  INFO(second);
  CHECK(second.find("stream 1 status 200") != std::string::npos);
  CHECK(second.find("stream 1 header x-cache: HIT") != std::string::npos);
  CHECK(second.find("stream 1 body 11 bytes") != std::string::npos);
  CHECK(second.find("interim") == std::string::npos);
  CHECK(origin.request_count("/api/page") == 1);
}

TEST_CASE("over HTTP/2 curl sees the 103 Early Hints ahead of the final 200") {
  ScriptedOrigin origin;
  origin.route("/page", hints_then_page());
  Http2Etagd etagd(origin);

  CurlAnswer a = curl_h2(etagd.port(), "/page");
  INFO(a.output);
  size_t hints = a.output.find("HTTP/2 103");
  size_t final_status = a.output.find("HTTP/2 200");
  REQUIRE(hints != std::string::npos);
  REQUIRE(final_status != std::string::npos);
  CHECK(hints < final_status);
  CHECK(a.output.find("link: </style.css>; rel=preload; as=style") < final_status);
  CHECK(a.status == 200);
  CHECK(a.body == "<p>page</p>");
}

}  // namespace
}  // namespace etagd::testing
