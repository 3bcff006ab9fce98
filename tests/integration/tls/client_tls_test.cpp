// TLS listeners: `listen: - { address: ..., tls: { certificates: [...], protocols: [...] } }`.
// SNI picks the certificate, TLS 1.0 and 1.1 are refused, plain HTTP on the port gets a plain
// answer, sessions resume on any worker, a SIGHUP picks up renewed certificates without a
// failed request, and a broken pair is rejected with file:line while the old one stays.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/etagd_process.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/proxy_harness.h"
#include "support/scripted_origin.h"
#include "support/temp_dir.h"
#include "support/test_certificates.h"
#include "support/tls_client.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

std::string certificate_entry(const CertificatePair& p) {
  return "        - { cert: \"" + p.cert + "\", key: \"" + p.key + "\" }\n";
}

// etagd with one TLS listener on `port` serving `certificates` (the first is the default).
std::string tls_config(uint16_t port, uint16_t origin_port,
                       const std::vector<CertificatePair>& certificates,
                       const std::string& extra = "",
                       const std::string& timeouts = "shutdown: 2s") {
  std::string yaml = "listen:\n  - address: 127.0.0.1:" + std::to_string(port) +
                     "\n    tls:\n      certificates:\n";
  for (const CertificatePair& p : certificates) yaml += certificate_entry(p);
  yaml += "upstream: http://127.0.0.1:" + std::to_string(origin_port) + "\n" +
          "admin: off\ntimeouts: { " + timeouts + " }\ndefaults: { cache: bypass }\n" + extra;
  return yaml;
}

TlsClientOptions trusting(const std::string& name) {
  TlsClientOptions o;
  o.server_name = name;
  o.ca_file = shared_pki().ca();
  return o;
}

}  // namespace

TEST_CASE("a TLS listener speaks TLS 1.3 with ALPN http/1.1 and tells the origin the scheme is https") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  EtagdProcess etagd(tls_config(port, origin.port(), {shared_pki().good()}), port);
  etagd.wait_ready();

  TlsClient client(port, trusting("localhost"));
  CHECK(client.protocol() == "TLSv1.3");
  CHECK(client.alpn() == "http/1.1");
  HttpResponse r = client.get("/x");
  CHECK(r.status == 200);
  REQUIRE(origin.last_request().has_value());
  CHECK(origin.last_request()->headers.get("X-Forwarded-Proto") == "https");
  // Keep-alive over TLS: a second request on the same connection.
  CHECK(client.get("/y").status == 200);
}

TEST_CASE("SNI chooses the certificate, no name or an unknown one gets the first") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  EtagdProcess etagd(
      tls_config(port, origin.port(), {shared_pki().good(), shared_pki().second_host()}), port);
  etagd.wait_ready();

  CHECK(TlsClient(port, trusting("localhost")).peer_common_name() == "localhost");
  CHECK(TlsClient(port, trusting("other.test")).peer_common_name() == "other.test");
  TlsClientOptions no_name;
  CHECK(TlsClient(port, no_name).peer_common_name() == "localhost");
  TlsClientOptions unknown;
  unknown.server_name = "nobody.example";
  CHECK(TlsClient(port, unknown).peer_common_name() == "localhost");
}

TEST_CASE("TLS 1.1 and 1.0 are refused") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  EtagdProcess etagd(tls_config(port, origin.port(), {shared_pki().good()}), port);
  etagd.wait_ready();

  for (int version : {TLS1_1_VERSION, TLS1_VERSION}) {
    TlsClientOptions old = trusting("localhost");
    old.min_version = version;
    old.max_version = version;
    CHECK_THROWS_AS(TlsClient(port, old), TlsHandshakeError);
  }
  // The same as an operator checks it.
  ProcessResult r = run_process({"openssl", "s_client", "-tls1_1", "-connect",
                                 "127.0.0.1:" + std::to_string(port), "-servername", "localhost"},
                                5000ms);
  CHECK_FALSE(r.exit.success());
  CHECK(r.output.find("Cipher is (NONE)") != std::string::npos);
  // etagd is unharmed.
  CHECK(TlsClient(port, trusting("localhost")).get("/x").status == 200);
}

TEST_CASE("plain HTTP to the TLS port is answered 400 in plain text and the connection closed") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  EtagdProcess etagd(tls_config(port, origin.port(), {shared_pki().good()}), port);
  etagd.wait_ready();

  std::string answer = raw_exchange(port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 3000ms);
  CHECK(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(answer.find("speaks TLS") != std::string::npos);
  CHECK(origin.request_count() == 0);
  CHECK(TlsClient(port, trusting("localhost")).get("/x").status == 200);
}

TEST_CASE("a TLS handshake that does not complete is closed after timeouts.client_header") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  EtagdProcess etagd(
      tls_config(port, origin.port(), {shared_pki().good()}, "",
                 "shutdown: 2s, client_header: 300ms"),
      port);
  etagd.wait_ready();

  HttpClient idle(port, 3000ms);
  idle.send_raw(std::string("\x16\x03\x01", 3));  // the start of a ClientHello, then nothing
  auto start = std::chrono::steady_clock::now();
  idle.read_until_closed();
  CHECK(elapsed_ms(start) < 2000);
  CHECK(TlsClient(port, trusting("localhost")).get("/x").status == 200);
}

TEST_CASE("a session ticket from one connection resumes the next, whichever worker takes it") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  EtagdProcess etagd(tls_config(port, origin.port(), {shared_pki().good()}, "workers: 2\n"), port);
  etagd.wait_ready();

  SSL_SESSION* session = nullptr;
  {
    TlsClient first(port, trusting("localhost"));
    CHECK(first.get("/x").status == 200);  // the ticket comes with the first read
    session = first.take_session();
  }
  REQUIRE(session != nullptr);
  CHECK(SSL_SESSION_has_ticket(session) == 1);
  CHECK(SSL_SESSION_is_resumable(session) == 1);
  int resumed = 0;
  for (int i = 0; i < 8; ++i) {
    TlsClientOptions o = trusting("localhost");
    o.session = session;
    TlsClient next(port, o);
    CHECK(next.get("/y").status == 200);
    resumed += next.resumed() ? 1 : 0;
  }
  SSL_SESSION_free(session);
  CHECK(resumed == 8);
}

TEST_CASE("SIGHUP picks up a renewed certificate with zero failed requests under load") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  TempDir live;  // where the operator's certificate lives; renewed in place
  std::filesystem::copy_file(shared_pki().good().cert, live.file("api.pem"));
  std::filesystem::copy_file(shared_pki().good().key, live.file("api.key"));
  CertificatePair in_place{live.file("api.pem").string(), live.file("api.key").string()};
  EtagdProcess etagd(tls_config(port, origin.port(), {in_place}, "workers: 2\n"), port);
  etagd.wait_ready();
  CHECK(TlsClient(port, trusting("localhost")).peer_common_name() == "localhost");

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<int> renewed_connections{0};  // new connections that were given the renewal
  std::atomic<int> kept_renewed{0};         // kept connections that changed certificate
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      // Half the threads keep one connection open across the reload, half reconnect each time.
      std::unique_ptr<TlsClient> kept;
      for (int i = 0; i < 2000 && !stop; ++i) {
        try {
          std::unique_ptr<TlsClient> fresh;
          if (t % 2 == 0 && !kept) kept = std::make_unique<TlsClient>(port, trusting("localhost"));
          if (t % 2 == 1) fresh = std::make_unique<TlsClient>(port, trusting("localhost"));
          TlsClient& c = t % 2 == 0 ? *kept : *fresh;
          (c.get("/load").status == 200 ? ok : failed)++;
          if (c.peer_common_name() == "localhost renewed") {
            ++(fresh ? renewed_connections : kept_renewed);
          }
        } catch (const std::exception&) {
          ++failed;
          kept.reset();
        }
      }
    });
  }
  CHECK(eventually([&] { return ok.load() > 50; }, 10000ms));
  // Renewed in place, as certbot or an ACME client does it, then SIGHUP.
  std::filesystem::copy_file(shared_pki().renewed().cert, live.file("api.pem.new"));
  std::filesystem::copy_file(shared_pki().renewed().key, live.file("api.key.new"));
  std::filesystem::rename(live.file("api.key.new"), live.file("api.key"));
  std::filesystem::rename(live.file("api.pem.new"), live.file("api.pem"));
  etagd.signal(SIGHUP);
  CHECK(etagd.wait_for_log("configuration reloaded", 5000ms));
  int before = ok.load();
  CHECK(eventually([&] { return ok.load() > before + 50; }, 10000ms));
  stop = true;
  for (std::thread& t : load) t.join();

  CHECK(ok.load() > 100);
  CHECK(failed.load() == 0);
  // Under load, connections made after the reload got the renewed certificate; the ones kept
  // open across it still had the one they started with (none was reconnected: no failure).
  CHECK(renewed_connections.load() > 0);
  CHECK(kept_renewed.load() == 0);
  CHECK(TlsClient(port, trusting("localhost")).peer_common_name() == "localhost renewed");
}

TEST_CASE("a broken certificate pair on SIGHUP is a config error with file:line, the old one stays") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  EtagdProcess etagd(tls_config(port, origin.port(), {shared_pki().good()}), port);
  etagd.wait_ready();

  CertificatePair broken = shared_pki().mismatched();
  etagd.rewrite_config(tls_config(port, origin.port(), {broken}));
  etagd.signal(SIGHUP);
  CHECK(etagd.wait_for_log("reload rejected", 5000ms));
  CHECK(etagd.log().find(etagd.config_path() + ":5:") != std::string::npos);
  CHECK(etagd.log().find("does not belong to the certificate") != std::string::npos);
  TlsClient after(port, trusting("localhost"));
  CHECK(after.peer_common_name() == "localhost");
  CHECK(after.get("/x").status == 200);
}

TEST_CASE("a listener with a broken certificate pair does not start, and says which file") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  CertificatePair broken = shared_pki().mismatched();
  TempDir dir;
  std::string path = dir.write("etagd.yaml", tls_config(port, origin.port(), {broken})).string();
  ProcessResult r = run_process({etagd_binary_path(), "--check-config", "--config", path});
  CHECK_FALSE(r.exit.success());
  INFO(r.output);
  CHECK(r.output.find(path + ":5:") != std::string::npos);
  CHECK(r.output.find("error: listen[0].tls.certificates[0].key: the key '" + broken.key +
                      "' does not belong to the certificate '" + broken.cert + "'") !=
        std::string::npos);
}
