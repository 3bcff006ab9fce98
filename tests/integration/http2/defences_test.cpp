// What an HTTP/2 client may cost is bounded: the SETTINGS etagd announces, rapid reset
// (CVE-2023-44487), CONTINUATION floods (CVE-2024-28182), SETTINGS and PING floods, a window
// kept shut (slow read), idle connections; and a drain lets streams in flight complete. Each
// case checks the answer (GOAWAY and its code, the close) and that nothing reached the origin
// where nothing should, and that etagd keeps serving others.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <optional>
#include <thread>

#include "http2_harness.h"
#include "support/eventually.h"
#include "support/origin_scripts.h"
#include "support/proxy_harness.h"

namespace etagd::testing {
namespace {

constexpr const char* kEnhanceYourCalm = "goaway 11";

TEST_CASE("etagd announces 128 concurrent streams and limits.max_header_bytes as the header list size") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.limits = "max_header_bytes: 24KiB"});
  std::string out = run_client({"nghttp", "-nv", etagd.url("/settings")});
  INFO(out);
  CHECK(out.find("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):128]") != std::string::npos);
  CHECK(out.find("[SETTINGS_MAX_HEADER_LIST_SIZE(0x06):24576]") != std::string::npos);
  CHECK(out.find(":status: 200") != std::string::npos);
}

TEST_CASE("a client that opens and resets 1000 streams at once gets GOAWAY ENHANCE_YOUR_CALM (the default bound: 200 at once)") {
  ScriptedOrigin origin;
  origin.route("/reset", script::delayed(200ms, script::respond(200, {}, "r")));
  Http2Etagd etagd(origin);
  std::string out = h2_probe(etagd.port(), "rapid-reset", "1000");
  INFO(out);
  CHECK(out.find(kEnhanceYourCalm) != std::string::npos);
  CHECK(out.find("closed") != std::string::npos);
  // The streams that were started before the bound are abandoned with their upstream
  // requests; far fewer than the 1000 reset streams ever got that far.
  CHECK(origin.request_count("/reset") < 300);
  CHECK(curl_h2(etagd.port(), "/still-serving").status == 200);
  CHECK(etagd.process().wait_for_log(
      "closing HTTP/2 connection from 127.0.0.1: rapid reset; GOAWAY ENHANCE_YOUR_CALM", 3000ms));
}

TEST_CASE("a stream reset now and then is no flood: the connection goes on") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin);
  std::string out = h2_probe(etagd.port(), "rapid-reset", "20");
  INFO(out);
  CHECK(out.find("goaway") == std::string::npos);
  CHECK(out.find("closed") == std::string::npos);
  CHECK(out.find("stream 41 status 200") != std::string::npos);  // the request after them
}

TEST_CASE("a HEADERS frame followed by endless CONTINUATION frames gets GOAWAY ENHANCE_YOUR_CALM") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin);
  std::string out = h2_probe(etagd.port(), "continuation", "200");
  INFO(out);
  CHECK(out.find(kEnhanceYourCalm) != std::string::npos);
  CHECK(origin.request_count() == 0);
  CHECK(curl_h2(etagd.port(), "/still-serving").status == 200);
  CHECK(etagd.process().wait_for_log(
      "closing HTTP/2 connection from 127.0.0.1: frame flood; GOAWAY ENHANCE_YOUR_CALM", 3000ms));
}

TEST_CASE("a SETTINGS frame with more entries than the bound gets GOAWAY ENHANCE_YOUR_CALM") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin);
  std::string out = h2_probe(etagd.port(), "settings-flood", "100");
  INFO(out);
  CHECK(out.find(kEnhanceYourCalm) != std::string::npos);
  CHECK(origin.request_count() == 0);
}

TEST_CASE("a PING flood from a client that reads nothing stops being read and is closed after client_send") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.timeouts = "client_send: 1s"});
  auto start = std::chrono::steady_clock::now();
  // 400000 PINGs are 6.8 MB: more than etagd's output watermark and both socket buffers hold,
  // so the client's writes block once etagd stops reading, until etagd closes.
  std::string out = h2_probe(etagd.port(), "ping-flood", "400000");
  INFO(out);
  CHECK(out.find("closed") != std::string::npos);
  CHECK(elapsed_ms(start) < 9000);
  CHECK(origin.request_count() == 0);
  CHECK(curl_h2(etagd.port(), "/still-serving").status == 200);
}

TEST_CASE("a client that keeps its stream window at zero is closed after client_send, holding a bounded buffer") {
  ScriptedOrigin origin;
  origin.route("/big", script::respond(200, {}, std::string(8 * 1024 * 1024, 'b')));
  Http2Etagd etagd(origin, {.timeouts = "client_send: 1s"});
  std::string out = h2_probe(etagd.port(), "zero-window", "/big");
  INFO(out);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("stream 1 body 0 bytes") != std::string::npos);
  CHECK(out.find("closed") != std::string::npos);
  CHECK(origin.request_count("/big") == 1);
  CHECK(curl_h2(etagd.port(), "/still-serving").status == 200);
}

TEST_CASE("an HTTP/2 connection without streams for client_idle gets GOAWAY NO_ERROR and is closed") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.timeouts = "client_idle: 300ms"});
  std::string out = h2_probe(etagd.port(), "wait-close", "/idle");
  INFO(out);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("goaway 0") != std::string::npos);
  CHECK(out.find("closed") != std::string::npos);
}

TEST_CASE("an HTTP/2 request that never ends gets GOAWAY after client_header and reaches nobody") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.timeouts = "client_header: 500ms"});
  std::string authority = "127.0.0.1:" + std::to_string(etagd.port());
  std::string unfinished = probe_request({{":method", "POST"}, {":scheme", "http"},
                                          {":authority", authority}, {":path", "/upload"}});
  unfinished.insert(unfinished.size() - 1, ", \"open\": true");
  auto start = std::chrono::steady_clock::now();
  std::string out = h2_probe(etagd.port(), "request", "[" + unfinished + "]");
  INFO(out);
  CHECK(out.find("goaway 0") != std::string::npos);
  CHECK(out.find("closed") != std::string::npos);
  CHECK(elapsed_ms(start) < 5000);
  CHECK(origin.request_count() == 0);
}

TEST_CASE("SIGTERM sends GOAWAY and the HTTP/2 stream in flight completes before etagd exits") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(600ms, script::respond(200, {}, "finished")));
  Http2Etagd etagd(origin);
  std::thread terminator([&] {
    if (origin.wait_for_requests("/slow", 1, 5000ms)) etagd.process().signal(SIGTERM);
  });
  std::string out = h2_probe(etagd.port(), "wait-close", "/slow");
  terminator.join();
  INFO(out);
  CHECK(out.find("goaway 0") != std::string::npos);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("stream 1 body 8 bytes") != std::string::npos);
  CHECK(out.find("closed") != std::string::npos);
  std::optional<ProcessExit> exit = etagd.process().wait_exit(5000ms);
  REQUIRE(exit);
  CHECK(exit->success());
}

}  // namespace
}  // namespace etagd::testing
