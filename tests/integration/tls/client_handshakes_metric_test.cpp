// etagd_client_tls_handshakes_total{result}: every client handshake with a TLS listener is
// counted once, as full, resumed (a session ticket), or why it failed: protocol (TLS 1.1),
// plain_http (an HTTP request on the TLS port), incomplete (closed part-way), or the client's
// alert refusing the certificate: unknown_ca, expired, certificate_rejected. A connection that
// sends nothing is no handshake.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "support/etagd_process.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/prometheus_text.h"
#include "support/proxy_harness.h"
#include "support/scripted_origin.h"
#include "support/test_certificates.h"
#include "support/tls_client.h"
#include "support/tls_client_hello.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

// etagd with one TLS listener (client_header 300 ms) and an admin port, serving `pair`. One
// worker: connections are handled in the order they come, so a count that another
// connection's count has overtaken will not move any more.
struct TlsListener {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  uint16_t admin_port = free_port();
  EtagdProcess etagd;

  explicit TlsListener(const CertificatePair& pair = shared_pki().good())
      : etagd("listen:\n  - address: 127.0.0.1:" + std::to_string(port) +
                  "\n    tls:\n      certificates:\n        - { cert: \"" +
                  pair.cert + "\", key: \"" + pair.key + "\" }\n" +
                  "upstream: http://127.0.0.1:" + std::to_string(origin.port()) + "\n" +
                  "admin: { listen: \"127.0.0.1:" + std::to_string(admin_port) + "\" }\n" +
                  "workers: 1\n" +
                  "timeouts: { shutdown: 2s, client_header: 300ms }\n",
              port) {
    etagd.wait_ready();
    etagd.wait_listening(admin_port);
  }

  double handshakes(std::string_view result) const {
    HttpResponse r = http_get(admin_port, "/metrics");
    REQUIRE(r.status == 200);
    return sample_value(r.body, "etagd_client_tls_handshakes_total{result=\"" +
                                    std::string(result) + "\"}")
        .value_or(-1);
  }
  // Waits (bounded) until `result` reads `count`: a close is counted when etagd notices it.
  bool counted(std::string_view result, double count) const {
    return eventually([&] { return handshakes(result) == count; });
  }
};

TlsClientOptions trusting() {
  TlsClientOptions o;
  o.server_name = "localhost";
  o.ca_file = shared_pki().ca();
  return o;
}

}  // namespace

TEST_CASE("a full handshake and a resumed one are counted apart") {
  TlsListener l;
  for (std::string_view r : {"full", "resumed", "protocol", "plain_http", "incomplete"}) {
    CHECK(l.handshakes(r) == 0);
  }
  SSL_SESSION* session = nullptr;
  {
    TlsClient first(l.port, trusting());
    CHECK(first.get("/x").status == 200);  // the ticket comes with the first read
    CHECK_FALSE(first.resumed());
    session = first.take_session();
  }
  REQUIRE(session != nullptr);
  TlsClientOptions again = trusting();
  again.session = session;
  {
    TlsClient next(l.port, again);
    CHECK(next.get("/y").status == 200);
    CHECK(next.resumed());
  }
  SSL_SESSION_free(session);
  CHECK(l.counted("full", 1));
  CHECK(l.counted("resumed", 1));
  CHECK(l.handshakes("protocol") == 0);
}

TEST_CASE("a TLS 1.1 client is a failed handshake of class protocol") {
  TlsListener l;
  TlsClientOptions old = trusting();
  old.min_version = TLS1_1_VERSION;
  old.max_version = TLS1_1_VERSION;
  CHECK_THROWS_AS(TlsClient(l.port, old), TlsHandshakeError);
  CHECK(l.counted("protocol", 1));
  CHECK(l.handshakes("full") == 0);
}

TEST_CASE("plain HTTP sent to the TLS port is counted as plain_http, once") {
  TlsListener l;
  std::string answer = raw_exchange(l.port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 3000ms);
  CHECK(answer.starts_with("HTTP/1.1 400 "));
  CHECK(l.counted("plain_http", 1));
  CHECK(l.handshakes("protocol") == 0);
}

TEST_CASE("a client that leaves part-way through its handshake is counted as incomplete") {
  TlsListener l;
  {
    // A whole ClientHello: etagd answers it, and the client closes instead of finishing.
    HttpClient leaving(l.port, 3000ms);
    leaving.send_raw(tls_client_hello("localhost"));
  }
  CHECK(l.counted("incomplete", 1));
  {
    // The first bytes of a record header, then the client goes away.
    HttpClient leaving(l.port, 3000ms);
    leaving.send_raw(std::string("\x16\x03\x01", 3));
  }
  CHECK(l.counted("incomplete", 2));
  for (std::string_view r : {"full", "resumed", "protocol", "plain_http"}) {
    CHECK(l.handshakes(r) == 0);
  }
}

TEST_CASE("a handshake that stalls part-way is closed at client_header and counted as incomplete") {
  TlsListener l;
  HttpClient stalled(l.port, 3000ms);
  stalled.send_raw(tls_client_hello("localhost"));
  stalled.read_until_closed();  // etagd's flight, then its close at client_header (300 ms)
  CHECK(l.counted("incomplete", 1));
  CHECK(l.handshakes("protocol") == 0);
}

TEST_CASE("a connection closed before its first byte is no handshake") {
  TlsListener l;
  {
    HttpClient silent(l.port, 3000ms);  // connects and closes without a byte: a health check
  }
  {
    // One worker handles both in turn: once this one is counted, the first was handled.
    HttpClient leaving(l.port, 3000ms);
    leaving.send_raw(tls_client_hello("localhost"));
  }
  CHECK(l.counted("incomplete", 1));
  for (std::string_view r : {"full", "resumed", "protocol", "plain_http"}) {
    CHECK(l.handshakes(r) == 0);
  }
}

TEST_CASE("a client that does not trust the certificate's CA is counted as unknown_ca") {
  TlsListener l;
  TlsClientOptions distrusting = trusting();
  distrusting.ca_file = shared_pki().other_ca();
  CHECK_THROWS_AS(TlsClient(l.port, distrusting), TlsHandshakeError);
  CHECK(l.counted("unknown_ca", 1));
  for (std::string_view r : {"full", "protocol", "expired", "certificate_rejected"}) {
    CHECK(l.handshakes(r) == 0);
  }
}

TEST_CASE("a client that finds the certificate expired is counted as expired") {
  TlsListener l(shared_pki().expired());
  CHECK_THROWS_AS(TlsClient(l.port, trusting()), TlsHandshakeError);
  CHECK(l.counted("expired", 1));
  for (std::string_view r : {"full", "protocol", "unknown_ca", "certificate_rejected"}) {
    CHECK(l.handshakes(r) == 0);
  }
}

TEST_CASE("a client that finds another name in the certificate is counted as certificate_rejected") {
  TlsListener l;
  TlsClientOptions elsewhere = trusting();
  elsewhere.server_name = "wrong.example";
  CHECK_THROWS_AS(TlsClient(l.port, elsewhere), TlsHandshakeError);
  CHECK(l.counted("certificate_rejected", 1));
  for (std::string_view r : {"full", "protocol", "unknown_ca", "expired"}) {
    CHECK(l.handshakes(r) == 0);
  }
}
