// The etagd_http2_* metrics, read from /metrics while real clients (curl, h2_probe.py) use an
// `http2: on` listener: connections by how they started, streams opened and reset by the
// client, the streams open now, and the GOAWAYs etagd sent by reason.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "http2_harness.h"
#include "support/etagd_process.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/origin_scripts.h"
#include "support/prometheus_text.h"
#include "support/test_certificates.h"

namespace etagd::testing {
namespace {

double metric(uint16_t admin, std::string_view series) {
  return sample_value(http_get(admin, "/metrics").body, series).value_or(-1);
}

}  // namespace

TEST_CASE("HTTP/2 connections by prior knowledge are counted, with every stream they open") {
  ScriptedOrigin origin;
  uint16_t admin = free_port();
  Http2Etagd etagd(origin, {.admin_port = admin});
  CHECK(curl_h2(etagd.port(), "/a").status == 200);
  CHECK(curl_h2(etagd.port(), "/b").status == 200);
  CHECK(metric(admin, R"(etagd_http2_connections_total{how="prior_knowledge"})") == 2);
  CHECK(metric(admin, R"(etagd_http2_connections_total{how="alpn"})") == 0);
  CHECK(metric(admin, "etagd_http2_streams_total") == 2);
  CHECK(metric(admin, "etagd_http2_streams_reset_total") == 0);
  CHECK(eventually([&] { return metric(admin, "etagd_http2_open_streams") == 0; }, 2000ms));
}

TEST_CASE("an HTTP/2 connection over TLS is counted as started by ALPN") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  uint16_t admin = free_port();
  CertificatePair p = shared_pki().good();
  EtagdProcess etagd("listen:\n  - address: 127.0.0.1:" + std::to_string(port) +
                         "\n    http2: on\n    tls:\n      certificates:\n        - { cert: \"" +
                         p.cert + "\", key: \"" + p.key + "\" }\n" +
                         "upstream: http://127.0.0.1:" + std::to_string(origin.port()) +
                         "\nadmin: { listen: \"127.0.0.1:" + std::to_string(admin) + "\" }\n",
                     port);
  etagd.wait_ready();
  std::string p_str = std::to_string(port);
  std::string out = run_client({"curl", "-sS", "-i", "--http2", "--cacert", shared_pki().ca(),
                                "--resolve", "localhost:" + p_str + ":127.0.0.1",
                                "https://localhost:" + p_str + "/x"});
  INFO(out);
  REQUIRE(out.rfind("HTTP/2 200", 0) == 0);
  CHECK(metric(admin, R"(etagd_http2_connections_total{how="alpn"})") == 1);
  CHECK(metric(admin, R"(etagd_http2_connections_total{how="prior_knowledge"})") == 0);
  CHECK(metric(admin, "etagd_http2_streams_total") == 1);
}

TEST_CASE("streams the client resets are counted, and a rapid reset's GOAWAY as enhance_your_calm") {
  ScriptedOrigin origin;
  origin.route("/reset", script::delayed(200ms, script::respond(200, {}, "r")));
  uint16_t admin = free_port();
  Http2Etagd etagd(origin, {.admin_port = admin});
  // 20 streams opened and reset, then one request answered: no flood.
  std::string out = h2_probe(etagd.port(), "rapid-reset", "20");
  INFO(out);
  REQUIRE(out.find("stream 41 status 200") != std::string::npos);
  CHECK(metric(admin, "etagd_http2_streams_total") == 21);
  CHECK(metric(admin, "etagd_http2_streams_reset_total") == 20);
  CHECK(metric(admin, R"(etagd_http2_goaways_total{reason="enhance_your_calm"})") == 0);
  // 1000 at once is one.
  h2_probe(etagd.port(), "rapid-reset", "1000");
  CHECK(eventually(
      [&] { return metric(admin, R"(etagd_http2_goaways_total{reason="enhance_your_calm"})") == 1; },
      3000ms));
  CHECK(metric(admin, R"(etagd_http2_goaways_total{reason="timeout"})") == 0);
  CHECK(eventually([&] { return metric(admin, "etagd_http2_open_streams") == 0; }, 3000ms));
}

TEST_CASE("the open-streams gauge counts a stream while its answer is on the way") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(1500ms, script::respond(200, {}, "slow")));
  uint16_t admin = free_port();
  Http2Etagd etagd(origin, {.admin_port = admin});
  int status = 0;
  std::thread client([&] { status = curl_h2(etagd.port(), "/slow").status; });
  bool counted = eventually([&] { return metric(admin, "etagd_http2_open_streams") == 1; }, 1400ms);
  client.join();
  CHECK(counted);
  CHECK(status == 200);
  CHECK(eventually([&] { return metric(admin, "etagd_http2_open_streams") == 0; }, 2000ms));
}

TEST_CASE("a connection idle past client_idle gets a GOAWAY counted as timeout") {
  ScriptedOrigin origin;
  uint16_t admin = free_port();
  Http2Etagd etagd(origin, {.timeouts = "client_idle: 400ms", .admin_port = admin});
  // wait-close: one GET, its answer, then reading until etagd closes the connection.
  std::string out = h2_probe(etagd.port(), "wait-close", "/x");
  INFO(out);
  CHECK(out.find("goaway 0") != std::string::npos);
  CHECK(metric(admin, R"(etagd_http2_goaways_total{reason="timeout"})") == 1);
  CHECK(metric(admin, R"(etagd_http2_goaways_total{reason="ping_timeout"})") == 0);
}

}  // namespace etagd::testing
