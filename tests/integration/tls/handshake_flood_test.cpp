// A flood of TLS handshakes that never complete: each costs etagd one connection until
// timeouts.client_header, never a worker's time, so a client that does complete its handshake
// is served meanwhile, and every half-open connection is closed when its time is up.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/etagd_process.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/prometheus_text.h"
#include "support/proxy_harness.h"
#include "support/scripted_origin.h"
#include "support/test_certificates.h"
#include "support/tls_client.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

TEST_CASE("half-open TLS handshakes do not starve a client that completes one, and all are closed at client_header") {
  const TestCertificates pki;
  ScriptedOrigin origin;
  const uint16_t port = free_port();
  const uint16_t admin = free_port();
  const std::string yaml =
      "listen:\n  - address: 127.0.0.1:" + std::to_string(port) +
      "\n    tls:\n      certificates:\n        - { cert: \"" + pki.good().cert + "\", key: \"" +
      pki.good().key + "\" }\nupstream: http://127.0.0.1:" + std::to_string(origin.port()) +
      "\nworkers: 2\nadmin: { listen: 127.0.0.1:" + std::to_string(admin) +
      " }\ntimeouts: { shutdown: 2s, client_header: 1500ms }\ndefaults: { cache: bypass }\n";
  EtagdProcess etagd(yaml, port);
  etagd.wait_ready();
  etagd.wait_listening(admin);

  // Each sends the first bytes of a ClientHello and then nothing.
  constexpr size_t kHalfOpen = 400;
  std::vector<std::unique_ptr<HttpClient>> stalled;
  for (size_t i = 0; i < kHalfOpen; ++i) {
    stalled.push_back(std::make_unique<HttpClient>(port, 5000ms));
    stalled.back()->send_raw(std::string("\x16\x03\x01\x02\x00", 5));
  }
  auto open_connections = [&] {
    return sample_value(http_get(admin, "/metrics").body, "etagd_client_connections").value_or(-1);
  };
  REQUIRE(eventually([&] { return open_connections() >= kHalfOpen; }, 3000ms));

  TlsClientOptions trusting;
  trusting.server_name = "localhost";
  trusting.ca_file = pki.ca();
  auto start = std::chrono::steady_clock::now();
  CHECK(TlsClient(port, trusting).get("/while-flooded").status == 200);
  CHECK(elapsed_ms(start) < 1000);

  // Every one of them is closed by etagd once client_header has run out.
  start = std::chrono::steady_clock::now();
  size_t closed = 0;
  for (auto& c : stalled) {
    c->read_until_closed();
    ++closed;
  }
  CHECK(closed == kHalfOpen);
  CHECK(elapsed_ms(start) < 4000);
  CHECK(eventually([&] { return open_connections() == 0; }, 3000ms));
  CHECK(etagd.running());
}
