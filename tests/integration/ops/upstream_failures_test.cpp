// Upstream failures in the error log: each one a warning naming the upstream, the request and
// the reason, rate-limited per kind of failure.
#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <thread>

#include "support/free_port.h"
#include "support/origin_scripts.h"
#include "support/proxy_harness.h"
#include "support/scripted_origin.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("a refused upstream connection is a warning with upstream, request and client") {
  uint16_t dead = free_port();  // nobody listens here
  Proxy proxy(dead, {});
  HttpResponse r = http_get(proxy.port(), "/api/down?x=1");
  CHECK(r.status == 502);
  CHECK(proxy.process().wait_for_log(
      "[warning] upstream 127.0.0.1:" + std::to_string(dead) +
          ": upstream connection failed; request \"GET /api/down?x=1\" from 127.0.0.1",
      3000ms));
}

TEST_CASE("an upstream read timeout is a warning naming the request") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(2000ms, script::respond(200, {}, "late")));
  ProxySettings s;
  s.timeouts = "upstream_read: 300ms";
  Proxy proxy(origin, s);
  CHECK(http_get(proxy.port(), "/slow").status == 504);
  CHECK(proxy.process().wait_for_log(
      "upstream 127.0.0.1:" + std::to_string(origin.port()) +
          ": upstream read timeout; request \"GET /slow\" from 127.0.0.1",
      3000ms));
}

TEST_CASE("an upstream answer with bad framing is a warning") {
  ScriptedOrigin origin;
  origin.route("/garbage", script::garbage());
  Proxy proxy(origin, {});
  CHECK(http_get(proxy.port(), "/garbage").status == 502);
  CHECK(proxy.process().wait_for_log(
      ": invalid upstream response; request \"GET /garbage\" from 127.0.0.1", 3000ms));
}

TEST_CASE("an upstream that closes inside a streamed body is a warning saying the answer was cut") {
  ScriptedOrigin origin;
  std::string body(200'000, 'b');
  origin.route("/cut", script::close_mid_body(200, body, 100'000));
  Proxy proxy(origin, {});
  HttpClient client = proxy.client();
  client.send_request("GET", "/cut");
  try {
    client.read_response();  // a truncated answer: the client sees the connection end early
  } catch (const std::exception&) {
  }
  CHECK(proxy.process().wait_for_log(": upstream response truncated; request \"GET /cut\"", 3000ms));
  CHECK(proxy.process().wait_for_log("; response cut after ", 3000ms));
}

TEST_CASE("a run of upstream failures writes a burst of warnings, then the count suppressed") {
  uint16_t dead = free_port();
  Proxy proxy(dead, {});
  constexpr int kFailures = 30;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kFailures; ++i) REQUIRE(http_get(proxy.port(), "/down").status == 502);
  long flood_ms = elapsed_ms(start);
  std::this_thread::sleep_for(1200ms);
  REQUIRE(http_get(proxy.port(), "/down").status == 502);
  REQUIRE(proxy.process().wait_for_log(
      "similar messages suppressed (upstream connect_failed)", 3000ms));

  std::string log = proxy.log();
  size_t written = count_of(log, ": upstream connection failed; request \"GET /down\"");
  size_t suppressed = 0;
  std::regex summary(R"((\d+) similar messages suppressed \(upstream connect_failed\))");
  for (std::sregex_iterator it(log.begin(), log.end(), summary), end; it != end; ++it) {
    suppressed += std::stoul((*it)[1]);
  }
  CAPTURE(flood_ms);
  CHECK(written + suppressed == kFailures + 1);
  CHECK(written <= 10 + static_cast<size_t>(flood_ms / 1000) + 2);
}
