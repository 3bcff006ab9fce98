// HTTP/2 over TLS (RFC 9113 §3.2): a TLS listener with `http2: on` offers ALPN `h2` and serves
// HTTP/2 to the clients that choose it (curl --http2, nghttp), with the same exchange as
// HTTP/1.1 (a stored URL is a HIT the second time); a client whose ALPN list has no `h2` gets
// HTTP/1.1 on the same listener.
#include <doctest/doctest.h>

#include <string>

#include "http2_harness.h"
#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/origin_scripts.h"
#include "support/test_certificates.h"

namespace etagd::testing {
namespace {

std::string tls_h2_config(uint16_t port, uint16_t origin_port) {
  CertificatePair p = shared_pki().good();
  return "listen:\n  - address: 127.0.0.1:" + std::to_string(port) +
         "\n    http2: on\n    tls:\n      certificates:\n        - { cert: \"" + p.cert +
         "\", key: \"" + p.key + "\" }\n" + "upstream: http://127.0.0.1:" +
         std::to_string(origin_port) +
         "\nadmin: off\ntimeouts: { shutdown: 2s }\n"
         "rules:\n  - { match: { prefix: /api/ }, cache: store, ttl: 60s }\n";
}

std::string curl_tls(uint16_t port, std::string_view protocol_flag, std::string_view target) {
  std::string p = std::to_string(port);
  return run_client({"curl", "-sS", "-i", std::string(protocol_flag), "--cacert", shared_pki().ca(),
                     "--resolve", "localhost:" + p + ":127.0.0.1",
                     "https://localhost:" + p + std::string(target)});
}

TEST_CASE("over TLS curl --http2 negotiates h2 by ALPN and the second request is a HIT") {
  ScriptedOrigin origin;
  origin.route("/api/items", script::respond(200, {{"Content-Type", "application/json"}}, "[1,2]"));
  uint16_t port = free_port();
  EtagdProcess etagd(tls_h2_config(port, origin.port()), port);
  etagd.wait_ready();

  std::string first = curl_tls(port, "--http2", "/api/items");
  INFO(first);
  CHECK(first.rfind("HTTP/2 200", 0) == 0);
  CHECK(first.find("x-cache: MISS") != std::string::npos);
  CHECK(first.find("[1,2]") != std::string::npos);
  std::string second = curl_tls(port, "--http2", "/api/items");
  INFO(second);
  CHECK(second.rfind("HTTP/2 200", 0) == 0);
  CHECK(second.find("x-cache: HIT") != std::string::npos);
  CHECK(second.find("[1,2]") != std::string::npos);
  CHECK(origin.request_count("/api/items") == 1);
  REQUIRE(origin.last_request().has_value());
  CHECK(origin.last_request()->headers.get("X-Forwarded-Proto") == "https");
}

TEST_CASE("over TLS nghttp gets its answer over h2") {
  ScriptedOrigin origin;
  origin.route("/api/n", script::respond(200, {}, "nghttp body"));
  uint16_t port = free_port();
  EtagdProcess etagd(tls_h2_config(port, origin.port()), port);
  etagd.wait_ready();

  // nghttp speaks only HTTP/2: it fails unless ALPN chose h2. -v shows the frames. (It does
  // not verify the certificate; curl does, in the test above.)
  std::string out = run_client({"nghttp", "-v", "https://127.0.0.1:" + std::to_string(port) + "/api/n"});
  INFO(out);
  CHECK(out.find("negotiated protocol: h2") != std::string::npos);
  CHECK(out.find(":status: 200") != std::string::npos);
  CHECK(out.find("nghttp body") != std::string::npos);
  CHECK(origin.request_count("/api/n") == 1);
}

TEST_CASE("over TLS a client whose ALPN list has no h2 gets HTTP/1.1 on the http2 listener") {
  ScriptedOrigin origin;
  origin.route("/api/old", script::respond(200, {}, "plain old"));
  uint16_t port = free_port();
  EtagdProcess etagd(tls_h2_config(port, origin.port()), port);
  etagd.wait_ready();

  std::string out = curl_tls(port, "--http1.1", "/api/old");
  INFO(out);
  CHECK(out.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(out.find("plain old") != std::string::npos);
  CHECK(origin.request_count("/api/old") == 1);
}

}  // namespace
}  // namespace etagd::testing
