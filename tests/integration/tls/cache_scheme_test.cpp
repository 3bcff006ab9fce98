// The cache key's scheme follows the listener: a URL received over TLS is stored apart from
// the same URL over plain http (RFC 9110 §4.2.2), a write over either scheme drops both
// schemes' entries (RFC 9111 §4.4), and an admin purge of an https URL leaves the http entry.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "support/child_process.h"
#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/scripted_origin.h"
#include "support/test_certificates.h"
#include "support/tls_client.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

// Both requests name one host, so only the scheme can tell their keys apart.
const HeaderFields kHost = {{"Host", "localhost"}};

// etagd with a plain listener and a TLS listener in front of one origin, caching 60 s.
struct TwoSchemes {
  ScriptedOrigin origin;
  uint16_t http_port = free_port();
  uint16_t https_port = free_port();
  uint16_t admin_port = free_port();
  EtagdProcess etagd;

  TwoSchemes()
      : etagd(
            "listen:\n  - address: 127.0.0.1:" + std::to_string(http_port) +
                "\n  - address: 127.0.0.1:" + std::to_string(https_port) +
                "\n    tls:\n      certificates:\n        - { cert: \"" + shared_pki().good().cert +
                "\", key: \"" + shared_pki().good().key + "\" }\n" +
                "upstream: http://127.0.0.1:" + std::to_string(origin.port()) + "\n" +
                "admin: { listen: \"127.0.0.1:" + std::to_string(admin_port) + "\" }\n" +
                "timeouts: { shutdown: 2s }\nrules:\n  - { match: { prefix: / }, ttl: 60s }\n",
            http_port) {
    origin.set_default([](const OriginRequest&, OriginReply& reply) {
      reply.reply(200, {{"Content-Type", "text/plain"}}, "body");
    });
    etagd.wait_ready();
    etagd.wait_listening(https_port);
    etagd.wait_listening(admin_port);
  }

  std::string over_http(const std::string& target) {
    return http_get(http_port, target, kHost).headers.get("X-Cache");
  }
  std::string over_https(const std::string& target) {
    TlsClientOptions o;
    o.server_name = "localhost";
    o.ca_file = shared_pki().ca();
    return TlsClient(https_port, o).get(target, kHost).headers.get("X-Cache");
  }
  void put_over_https(const std::string& target) {
    std::string authority = "localhost:" + std::to_string(https_port);
    ProcessResult r = run_process({"curl", "-s", "-o", "/dev/null", "-X", "PUT", "-H",
                                   "Host: localhost", "--resolve", authority + ":127.0.0.1",
                                   "--cacert", shared_pki().ca(), "https://" + authority + target},
                                  5000ms);
    REQUIRE(r.exit.success());
  }
};

}  // namespace

TEST_CASE("the same URL over http and over https are separate cache entries") {
  TwoSchemes s;
  CHECK(s.over_http("/a") == "MISS");
  CHECK(s.over_https("/a") == "MISS");
  CHECK(s.over_https("/a") == "HIT");
  CHECK(s.over_http("/a") == "HIT");
}

TEST_CASE("a PUT over http drops the https entry of the URL too") {
  TwoSchemes s;
  s.over_http("/w");
  s.over_https("/w");
  REQUIRE(s.over_https("/w") == "HIT");
  REQUIRE(http_request(s.http_port, "PUT", "/w", kHost).status == 200);
  CHECK(s.over_https("/w") == "MISS");
  CHECK(s.over_http("/w") == "MISS");
}

TEST_CASE("a PUT over https drops the http entry of the URL too") {
  TwoSchemes s;
  s.over_http("/v");
  s.over_https("/v");
  REQUIRE(s.over_http("/v") == "HIT");
  s.put_over_https("/v");
  CHECK(s.over_http("/v") == "MISS");
  CHECK(s.over_https("/v") == "MISS");
}

TEST_CASE("an admin purge of an https URL leaves the http entry, a host and path purge both") {
  TwoSchemes s;
  s.over_http("/p");
  s.over_https("/p");
  HttpResponse purge = http_request(s.admin_port, "POST", "/purge?url=https://localhost/p");
  CHECK(purge.status == 200);
  CHECK(purge.body.find("\"purged\":1") != std::string::npos);
  CHECK(s.over_https("/p") == "MISS");
  CHECK(s.over_http("/p") == "HIT");

  HttpResponse both = http_request(s.admin_port, "POST", "/purge?host=localhost&url=/p");
  CHECK(both.body.find("\"purged\":2") != std::string::npos);
  CHECK(s.over_http("/p") == "MISS");
  CHECK(s.over_https("/p") == "MISS");
}
