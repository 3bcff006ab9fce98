// timeouts.client_ping (RFC 9113 §6.7): while an HTTP/2 connection has streams open and the
// client sends nothing, typically because the origin is slow, etagd sends a PING; a client
// that answers keeps its connection for as long as the answer takes, one that answers nothing
// within another client_ping gets GOAWAY NO_ERROR and is closed, and the close is counted.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "http2_harness.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/origin_scripts.h"
#include "support/prometheus_text.h"

namespace etagd::testing {
namespace {

// The number after `key ` on a line of h2_probe's output; nullopt without such a line.
std::optional<double> probe_value(const std::string& out, const std::string& key) {
  size_t at = out.find(key + " ");
  if (at == std::string::npos || (at > 0 && out[at - 1] != '\n')) return std::nullopt;
  return std::stod(out.substr(at + key.size() + 1));
}

TEST_CASE("an HTTP/2 client that answers PINGs keeps its connection through a slow origin response spanning several ping intervals") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(2500ms, script::respond(200, {}, "worth the wait")));
  Http2Etagd etagd(origin, {.timeouts = "client_ping: 400ms"});
  std::string authority = "127.0.0.1:" + std::to_string(etagd.port());
  std::string get = probe_request(
      {{":method", "GET"}, {":scheme", "http"}, {":authority", authority}, {":path", "/slow"}});
  std::string out = h2_probe(etagd.port(), "request", "[" + get + "]");
  INFO(out);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("stream 1 body 14 bytes") != std::string::npos);
  CHECK(out.find("goaway") == std::string::npos);
  // 2.5 s of silence from the origin are six intervals: a PING each (allowing for a slow
  // machine), each answered.
  std::optional<double> pings = probe_value(out, "pings");
  REQUIRE(pings.has_value());
  CHECK(*pings >= 3);
}

TEST_CASE("an HTTP/2 client that never answers a PING gets GOAWAY NO_ERROR and is closed within two ping intervals, counted as ping_timeout") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(6000ms, script::respond(200, {}, "too late")));
  uint16_t admin = free_port();
  Http2Etagd etagd(origin, {.timeouts = "client_ping: 500ms", .admin_port = admin});
  // wait-close reads frames without ever answering one.
  std::string out = h2_probe(etagd.port(), "wait-close", "/slow");
  INFO(out);
  CHECK(out.find("goaway 0") != std::string::npos);
  CHECK(out.find("closed") != std::string::npos);
  CHECK(out.find("stream 1 status") == std::string::npos);  // the stream was abandoned
  CHECK(probe_value(out, "pings") == 1);
  // Silent for one interval, the PING, unanswered for another: about 1 s.
  std::optional<double> seconds = probe_value(out, "seconds_to_close");
  REQUIRE(seconds.has_value());
  CHECK(*seconds >= 0.9);
  CHECK(*seconds < 2.5);
  HttpResponse metrics = http_get(admin, "/metrics");
  CHECK(sample_value(metrics.body, R"(etagd_http2_goaways_total{reason="ping_timeout"})") == 1);
  CHECK(curl_h2(etagd.port(), "/still-serving").status == 200);
}

TEST_CASE("with client_ping off etagd sends no PING while a slow origin response is in flight") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(1500ms, script::respond(200, {}, "ok")));
  Http2Etagd etagd(origin, {.timeouts = "client_ping: off, client_idle: 2s"});
  std::string out = h2_probe(etagd.port(), "wait-close", "/slow");
  INFO(out);
  // Answered at 1.5 s, closed by client_idle 2 s later: no PING at any time.
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("pings") == std::string::npos);
}

TEST_CASE("an HTTP/2 connection without streams is closed by client_idle, never pinged") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin, {.timeouts = "client_ping: 200ms, client_idle: 1s"});
  std::string out = h2_probe(etagd.port(), "wait-close", "/quick");
  INFO(out);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("goaway 0") != std::string::npos);
  CHECK(out.find("pings") == std::string::npos);
  std::optional<double> seconds = probe_value(out, "seconds_to_close");
  REQUIRE(seconds.has_value());
  CHECK(*seconds >= 0.9);
}

}  // namespace
}  // namespace etagd::testing
