// The per-connection stream bounds of HTTP/2 come from the config: limits.max_concurrent_streams
// is what the client is told (SETTINGS_MAX_CONCURRENT_STREAMS, RFC 9113 §6.5.2) and what is
// enforced (REFUSED_STREAM, §5.1.2), and limits.stream_resets_per_second is the rate, in bursts
// of twice it, past which a resetting client gets GOAWAY ENHANCE_YOUR_CALM (CVE-2023-44487).
// Each case is played by h2_probe.py and checks what reached the origin.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "http2_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

size_t occurrences(const std::string& out, const std::string& fact) {
  size_t n = 0;
  for (size_t at = out.find(fact); at != std::string::npos; at = out.find(fact, at + 1)) ++n;
  return n;
}

TEST_CASE("the SETTINGS_MAX_CONCURRENT_STREAMS a client receives is limits.max_concurrent_streams") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.limits = "max_concurrent_streams: 37"});
  std::string out = h2_probe(etagd.port(), "settings");
  INFO(out);
  CHECK(out.find("setting 3 37\n") != std::string::npos);  // 0x3: MAX_CONCURRENT_STREAMS
}

TEST_CASE("a stream beyond limits.max_concurrent_streams is refused with REFUSED_STREAM and reaches nobody") {
  ScriptedOrigin origin;
  origin.route("/slow/*", script::delayed(500ms, script::respond(200, {}, "s")));
  Http2Etagd etagd(origin, {.limits = "max_concurrent_streams: 10"});
  std::string authority = "127.0.0.1:" + std::to_string(etagd.port());
  // 14 requests in one write, all open at once: streams 1, 3 ... 19 are served, 21 ... 27 not.
  std::string requests = "[";
  for (int i = 0; i < 14; ++i) {
    if (i > 0) requests += ", ";
    requests += probe_request({{":method", "GET"}, {":scheme", "http"}, {":authority", authority},
                               {":path", "/slow/" + std::to_string(i)}});
  }
  requests += "]";
  std::string out = h2_probe(etagd.port(), "request", requests);
  INFO(out);
  CHECK(occurrences(out, " status 200") == 10);
  CHECK(occurrences(out, " reset 7") == 4);  // 0x7: REFUSED_STREAM
  for (int i = 10; i < 14; ++i) {
    CHECK(out.find("stream " + std::to_string(2 * i + 1) + " reset 7") != std::string::npos);
    CHECK(origin.request_count("/slow/" + std::to_string(i)) == 0);
  }
  CHECK(origin.request_count() == 10);
  CHECK(out.find("goaway") == std::string::npos);
}

TEST_CASE("resets faster than limits.stream_resets_per_second get GOAWAY ENHANCE_YOUR_CALM and the close") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.limits = "stream_resets_per_second: 20"});
  // 50 a second against 20 and a burst of 40: the bucket is empty after about 67 resets.
  std::string out = h2_probe(etagd.port(), "paced-reset", "150/50");
  INFO(out);
  CHECK(out.find("goaway 11") != std::string::npos);  // 0xb: ENHANCE_YOUR_CALM
  CHECK(out.find("closed") != std::string::npos);
  CHECK(out.find("resets_sent 150") == std::string::npos);
  CHECK(origin.request_count("/after-resets") == 0);
  CHECK(etagd.process().wait_for_log(
      "closing HTTP/2 connection from 127.0.0.1: rapid reset; GOAWAY ENHANCE_YOUR_CALM", 3000ms));
  CHECK(curl_h2(etagd.port(), "/still-serving").status == 200);
}

TEST_CASE("a burst of more than twice limits.stream_resets_per_second at once gets GOAWAY ENHANCE_YOUR_CALM") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.limits = "stream_resets_per_second: 20"});
  std::string out = h2_probe(etagd.port(), "rapid-reset", "60");
  INFO(out);
  CHECK(out.find("goaway 11") != std::string::npos);
  CHECK(out.find("closed") != std::string::npos);
}

TEST_CASE("a burst of just under twice limits.stream_resets_per_second at once is tolerated") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.limits = "stream_resets_per_second: 20"});
  std::string out = h2_probe(etagd.port(), "rapid-reset", "38");
  INFO(out);
  CHECK(out.find("goaway") == std::string::npos);
  CHECK(out.find("stream 77 status 200") != std::string::npos);  // the request after them
}

TEST_CASE("a client resetting just under limits.stream_resets_per_second, past its burst, stays connected") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.limits = "stream_resets_per_second: 20"});
  // 17 a second for 3.5 s: 60 resets, half again the burst of 40, never faster than the rate.
  std::string out = h2_probe(etagd.port(), "paced-reset", "60/17");
  INFO(out);
  CHECK(out.find("resets_sent 60") != std::string::npos);
  CHECK(out.find("goaway") == std::string::npos);
  CHECK(out.find("closed") == std::string::npos);
  CHECK(out.find("stream 121 status 200") != std::string::npos);  // the request after them
}

}  // namespace
}  // namespace etagd::testing
