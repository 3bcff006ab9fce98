// RFC 9113 §8 request mapping, checked with a scripted client (h2_probe.py) that sends what
// curl never would: malformed requests are stream errors PROTOCOL_ERROR (RST_STREAM 1) or
// etagd's 400 with its reason, never reach the origin, and leave the connection usable;
// :authority becomes Host; split cookies are joined; content-length must match DATA.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "http2_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// A request that is fine, sent after the one under test on the same connection: it proves
// the connection survived the stream error.
Fields good_request(uint16_t port) {
  return {{":method", "GET"}, {":scheme", "http"}, {":authority", "127.0.0.1:" + std::to_string(port)},
          {":path", "/after"}};
}

std::string send_pair(uint16_t port, const Fields& tested, std::string_view body = "") {
  return h2_probe(port, "request",
                  "[" + probe_request(tested, body) + ", " + probe_request(good_request(port)) + "]");
}

TEST_CASE("malformed HTTP/2 requests are reset with PROTOCOL_ERROR and never reach the origin") {
  ScriptedOrigin origin;
  origin.route("/after", script::respond(200, {}, "after"));
  Http2Etagd etagd(origin);
  std::string authority = "127.0.0.1:" + std::to_string(etagd.port());
  struct Case {
    const char* what;
    Fields fields;
  };
  std::vector<Case> cases = {
      {"missing :path", {{":method", "GET"}, {":scheme", "http"}, {":authority", authority}}},
      {"missing :method", {{":scheme", "http"}, {":authority", authority}, {":path", "/x"}}},
      {"duplicate :method",
       {{":method", "GET"}, {":method", "GET"}, {":scheme", "http"}, {":authority", authority},
        {":path", "/x"}}},
      {"pseudo-header after a regular field",
       {{":method", "GET"}, {":scheme", "http"}, {"accept", "*/*"}, {":authority", authority},
        {":path", "/x"}}},
      {"unknown pseudo-header",
       {{":method", "GET"}, {":scheme", "http"}, {":authority", authority}, {":path", "/x"},
        {":protocol", "websocket"}}},
      {"uppercase field name",
       {{":method", "GET"}, {":scheme", "http"}, {":authority", authority}, {":path", "/x"},
        {"X-Upper", "1"}}},
      {"connection-specific field",
       {{":method", "GET"}, {":scheme", "http"}, {":authority", authority}, {":path", "/x"},
        {"connection", "keep-alive"}}},
      {"transfer-encoding",
       {{":method", "GET"}, {":scheme", "http"}, {":authority", authority}, {":path", "/x"},
        {"transfer-encoding", "chunked"}}},
      {"te other than trailers",
       {{":method", "GET"}, {":scheme", "http"}, {":authority", authority}, {":path", "/x"},
        {"te", "gzip"}}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    std::string out = send_pair(etagd.port(), c.fields);
    INFO(out);
    CHECK(out.find("stream 1 reset 1") != std::string::npos);  // PROTOCOL_ERROR
    CHECK(out.find("stream 1 status") == std::string::npos);
    CHECK(out.find("stream 3 status 200") != std::string::npos);
    CHECK(out.find("goaway") == std::string::npos);
  }
  CHECK(origin.request_count("/x") == 0);
  CHECK(origin.request_count("/after") == cases.size());
}

TEST_CASE("a content-length that the DATA frames do not match is a stream error, not an upstream request") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin);
  std::string authority = "127.0.0.1:" + std::to_string(etagd.port());
  Fields post = {{":method", "POST"}, {":scheme", "http"}, {":authority", authority},
                 {":path", "/upload"}, {"content-length", "10"}};
  std::string shorter = send_pair(etagd.port(), post, "abc");
  INFO(shorter);
  CHECK(shorter.find("stream 1 reset 1") != std::string::npos);
  CHECK(shorter.find("stream 3 status 200") != std::string::npos);
  std::string longer = send_pair(etagd.port(), post, "0123456789abcdef");
  INFO(longer);
  CHECK(longer.find("stream 1 reset 1") != std::string::npos);
  CHECK(origin.request_count("/upload") == 0);
}

TEST_CASE("a Host field naming another authority than :authority gets 400 and reaches nobody") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin);
  std::string authority = "127.0.0.1:" + std::to_string(etagd.port());
  std::string out = send_pair(etagd.port(), {{":method", "GET"}, {":scheme", "http"},
                                             {":authority", authority}, {":path", "/x"},
                                             {"host", "evil.example"}});
  INFO(out);
  CHECK(out.find("stream 1 status 400") != std::string::npos);
  CHECK(out.find("stream 3 status 200") != std::string::npos);
  CHECK(origin.request_count("/x") == 0);
  std::string log = etagd.access_log();
  CHECK(log.find("\"GET /x HTTP/2.0\" 400") != std::string::npos);
  CHECK(etagd.log().find("refused 400 to 127.0.0.1: Host differs from :authority; request \"GET /x HTTP/2.0\"") !=
        std::string::npos);
}

TEST_CASE("the origin gets Host from :authority and the cookies of several fields in one Cookie field") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin);
  std::string authority = "api.example:" + std::to_string(etagd.port());
  std::string out = h2_probe(etagd.port(), "request",
                             "[" + probe_request({{":method", "GET"}, {":scheme", "http"},
                                                  {":authority", authority}, {":path", "/me"},
                                                  {"cookie", "a=1"}, {"cookie", "sessionid=s3"},
                                                  {"accept", "*/*"}}) + "]");
  INFO(out);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  REQUIRE(origin.last_request());
  const OriginRequest r = *origin.last_request();
  INFO(r.raw_head);
  CHECK(r.headers.get("Host") == authority);
  CHECK(r.headers.count("Cookie") == 1);
  CHECK(r.headers.get("Cookie") == "a=1; sessionid=s3");
  CHECK(r.headers.get("Accept") == "*/*");
}

TEST_CASE("a header list over limits.max_header_bytes (an HPACK bomb) gets 431 and reaches nobody") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.limits = "max_header_bytes: 16KiB"});
  // 1000 one-byte references to a 4000-byte table entry: 4 MB of fields from ~5 KB on the wire.
  std::string out = h2_probe(etagd.port(), "hpack-bomb", "1000");
  INFO(out);
  CHECK(out.find("stream 1 status 431") != std::string::npos);
  CHECK(origin.request_count() == 0);
  // The connection is still good for requests within the limit.
  CHECK(curl_h2(etagd.port(), "/fine").status == 200);
}

TEST_CASE("a request body over limits.max_request_body gets 413 over HTTP/2 and reaches nobody") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.limits = "max_request_body: 1KiB"});
  CurlAnswer a = curl_h2(etagd.port(), "/upload",
                         {"-X", "POST", "--data-binary", std::string(5000, 'u')});
  INFO(a.output);
  CHECK(a.status == 413);
  CHECK(a.body.starts_with("413 "));
  CHECK(origin.request_count() == 0);

  // A content-length over the limit is answered as soon as the head is in, before any DATA.
  std::string authority = "127.0.0.1:" + std::to_string(etagd.port());
  std::string upload = probe_request({{":method", "POST"}, {":scheme", "http"},
                                      {":authority", authority}, {":path", "/upload"},
                                      {"content-length", "1000000"}});
  upload.insert(upload.size() - 1, ", \"open\": true");
  std::string out = h2_probe(etagd.port(), "request", "[" + upload + "]");
  INFO(out);
  CHECK(out.find("stream 1 status 413") != std::string::npos);
  CHECK(origin.request_count() == 0);
}

TEST_CASE("an HTTP/2 :path is normalised as an HTTP/1.1 target is, before rules and the origin") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.rules = {"{ match: { prefix: /live/ }, cache: bypass }",
                                      "{ match: { prefix: /api/ }, cache: store, ttl: 60s }"}});
  CurlAnswer a = curl_h2(etagd.port(), "/live/../api/x", {"--path-as-is"});
  INFO(a.output);
  CHECK(a.status == 200);
  CHECK(a.headers.get("x-cache") == "MISS");  // the /api/ rule stores; /live/ would say BYPASS
  REQUIRE(origin.request_count() == 1);
  CHECK(origin.requests()[0].target == "/api/x");
  CHECK(curl_h2(etagd.port(), "//api/x").headers.get("x-cache") == "HIT");

  CurlAnswer above = curl_h2(etagd.port(), "/../etc", {"--path-as-is"});
  INFO(above.output);
  CHECK(above.status == 400);
  CHECK(origin.request_count() == 1);
}

}  // namespace
}  // namespace etagd::testing
