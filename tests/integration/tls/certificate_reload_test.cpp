// SIGHUP and a TLS listener's `tls:` as nginx treats ssl_certificate on reload: a certificate
// added for another SNI name, a new path for the default one, removed certificates and changed
// protocols apply to new connections, open connections keep what they were accepted with, and
// /config shows nothing waiting for a restart. A pair that cannot be used is a config error
// with file:line and the running set stays; the address, and TLS itself, still need a restart.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "support/etagd_process.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/scripted_origin.h"
#include "support/test_certificates.h"
#include "support/tls_client.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

// etagd with one listener on `port`, TLS with `certificates` (none: plain HTTP) and
// `protocols` ("" = the default), and an admin port for /config. The first certificate is on
// line 5 of the file, the next on line 6.
struct Setup {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  uint16_t admin_port = free_port();

  std::string config(const std::vector<CertificatePair>& certificates,
                     const std::string& protocols = "", uint16_t listen_port = 0) const {
    std::string yaml = "listen:\n  - address: 127.0.0.1:" +
                       std::to_string(listen_port != 0 ? listen_port : port) + "\n";
    if (!certificates.empty()) {
      yaml += "    tls:\n      certificates:\n";
      for (const CertificatePair& p : certificates) {
        yaml += "        - { cert: \"" + p.cert + "\", key: \"" + p.key + "\" }\n";
      }
      if (!protocols.empty()) yaml += "      protocols: " + protocols + "\n";
    }
    return yaml + "upstream: http://127.0.0.1:" + std::to_string(origin.port()) + "\n" +
           "admin: { listen: \"127.0.0.1:" + std::to_string(admin_port) + "\" }\n" +
           "workers: 2\ntimeouts: { shutdown: 2s }\ndefaults: { cache: bypass }\n";
  }

  std::string running_config() const {
    HttpResponse r = http_get(admin_port, "/config");
    REQUIRE(r.status == 200);
    return r.body;
  }
};

size_t occurrences(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Rewrites the file, sends SIGHUP and waits until etagd says `outcome` once more.
bool reload(EtagdProcess& etagd, const std::string& yaml,
            std::string_view outcome = "configuration reloaded") {
  size_t before = occurrences(etagd.log(), outcome);
  etagd.rewrite_config(yaml);
  etagd.signal(SIGHUP);
  return eventually([&] { return occurrences(etagd.log(), outcome) > before; }, 5000ms);
}

TlsClientOptions trusting(const std::string& name) {
  TlsClientOptions o;
  o.server_name = name;
  o.ca_file = shared_pki().ca();
  return o;
}

// The CN of the certificate etagd chooses for SNI `name` (not verified: a name no
// certificate covers gets the default).
std::string chosen_for(uint16_t port, const std::string& name) {
  TlsClientOptions o;
  o.server_name = name;
  return TlsClient(port, o).peer_common_name();
}

}  // namespace

TEST_CASE("a certificate added by SIGHUP is chosen for its SNI name, and open connections keep theirs") {
  Setup s;
  EtagdProcess etagd(s.config({shared_pki().good()}), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  CHECK(chosen_for(s.port, "other.test") == "localhost");  // no certificate for it: the default
  TlsClient open(s.port, trusting("localhost"));
  CHECK(open.get("/before").status == 200);

  REQUIRE(reload(etagd, s.config({shared_pki().good(), shared_pki().second_host()})));
  CHECK(chosen_for(s.port, "other.test") == "other.test");
  CHECK(chosen_for(s.port, "localhost") == "localhost");
  CHECK(open.get("/after").status == 200);  // the connection from before the reload carries on
  std::string config = s.running_config();
  CHECK(config.find("\"pending_restart\": {}") != std::string::npos);
  CHECK(config.find(shared_pki().second_host().cert) != std::string::npos);
  CHECK(etagd.log().find("restart etagd to apply") == std::string::npos);

  // Removed again: the name falls back on the default.
  REQUIRE(reload(etagd, s.config({shared_pki().good()})));
  CHECK(chosen_for(s.port, "other.test") == "localhost");
}

TEST_CASE("a new path for the default certificate takes over on SIGHUP") {
  Setup s;
  EtagdProcess etagd(s.config({shared_pki().good()}), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  CHECK(chosen_for(s.port, "localhost") == "localhost");

  REQUIRE(reload(etagd, s.config({shared_pki().renewed()})));
  TlsClient after(s.port, trusting("localhost"));
  CHECK(after.peer_common_name() == "localhost renewed");
  CHECK(after.get("/x").status == 200);
  std::string config = s.running_config();
  CHECK(config.find("\"pending_restart\": {}") != std::string::npos);
  CHECK(config.find(shared_pki().renewed().cert) != std::string::npos);
  CHECK(config.find(shared_pki().good().cert) == std::string::npos);
}

TEST_CASE("an unreadable new certificate path on SIGHUP is a config error with file:line, the old one serves on") {
  Setup s;
  EtagdProcess etagd(s.config({shared_pki().good()}), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);

  CertificatePair missing{shared_pki().dir().file("nowhere.pem").string(), shared_pki().good().key};
  REQUIRE(reload(etagd, s.config({shared_pki().good(), missing}), "reload rejected"));
  CHECK(etagd.log().find(etagd.config_path() + ":6:") != std::string::npos);
  CHECK(etagd.log().find("cannot read '" + missing.cert + "'") != std::string::npos);
  TlsClient after(s.port, trusting("localhost"));
  CHECK(after.peer_common_name() == "localhost");
  CHECK(after.get("/x").status == 200);
  std::string config = s.running_config();
  CHECK(config.find(missing.cert) == std::string::npos);
  CHECK(config.find(shared_pki().good().cert) != std::string::npos);
}

TEST_CASE("protocols changed by SIGHUP apply to new connections") {
  Setup s;
  EtagdProcess etagd(s.config({shared_pki().good()}, "[TLSv1.2, TLSv1.3]"), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  TlsClientOptions tls12 = trusting("localhost");
  tls12.max_version = TLS1_2_VERSION;
  CHECK(TlsClient(s.port, tls12).protocol() == "TLSv1.2");

  REQUIRE(reload(etagd, s.config({shared_pki().good()}, "[TLSv1.3]")));
  CHECK_THROWS_AS(TlsClient(s.port, tls12), TlsHandshakeError);
  CHECK(TlsClient(s.port, trusting("localhost")).protocol() == "TLSv1.3");
  CHECK(s.running_config().find("\"pending_restart\": {}") != std::string::npos);
}

TEST_CASE("a TLS listener's new address or TLS switched off waits for a restart, with its certificates as they run") {
  Setup s;
  EtagdProcess etagd(s.config({shared_pki().good()}), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);

  // Another address with another certificate: the listener stays as it runs, whole.
  uint16_t elsewhere = free_port();
  REQUIRE(reload(etagd, s.config({shared_pki().renewed()}, "", elsewhere)));
  CHECK(etagd.log().find("listen: changed (restart etagd to apply)") != std::string::npos);
  std::string config = s.running_config();
  CHECK(config.find("\"pending_restart\": {}") == std::string::npos);
  CHECK(config.find("127.0.0.1:" + std::to_string(elsewhere)) != std::string::npos);
  CHECK(chosen_for(s.port, "localhost") == "localhost");

  // TLS off: the port keeps speaking TLS until a restart.
  REQUIRE(reload(etagd, s.config({})));
  CHECK(s.running_config().find("\"pending_restart\": {}") == std::string::npos);
  CHECK(chosen_for(s.port, "localhost") == "localhost");
}
