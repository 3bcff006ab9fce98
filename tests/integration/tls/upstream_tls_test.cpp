// https upstreams: etagd verifies the origin's certificate by default, says why a handshake
// failed (in the 502's log line and in etagd_upstream_tls_handshakes_total{result}), presents
// a client certificate when configured, and resumes TLS sessions on new connections.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "support/child_process.h"
#include "support/etagd_process.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/prometheus_text.h"
#include "support/proxy_harness.h"
#include "support/scripted_origin.h"
#include "support/temp_dir.h"
#include "support/test_certificates.h"
#include "support/tls_origin.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

// etagd in front of `origin` over https, trusting the test CA unless `tls` says otherwise.
ProxySettings https_settings(std::string tls = "") {
  ProxySettings s;
  s.scheme = "https";
  s.upstream = "tls: { " + (tls.empty() ? "ca_file: \"" + shared_pki().ca() + "\"" : tls) + " }";
  s.admin_port = free_port();
  return s;
}

std::string scrape(const ProxySettings& s) {
  HttpResponse r = http_get(s.admin_port, "/metrics");
  REQUIRE(r.status == 200);
  return r.body;
}

double handshakes(const ProxySettings& s, std::string_view result) {
  return sample_value(scrape(s), "etagd_upstream_tls_handshakes_total{result=\"" +
                                     std::string(result) + "\"}")
      .value_or(-1);
}

}  // namespace

TEST_CASE("an https origin whose certificate chains to ca_file answers, and the answer is cached") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().good(), ""});
  ProxySettings s = https_settings();
  s.defaults = "cache: store, ttl: 60s, cache_control: { 2xx: \"public, max-age=60\" }";
  Proxy proxy(origin.port(), s);

  HttpResponse first = http_get(proxy.port(), "/api/items/1");
  CHECK(first.status == 200);
  CHECK(first.headers.get("X-Cache") == "MISS");
  HttpResponse second = http_get(proxy.port(), "/api/items/1");
  CHECK(second.status == 200);
  CHECK(second.headers.get("X-Cache") == "HIT");
  CHECK(second.body == first.body);
  CHECK(backend.request_count("/api/items/1") == 1);
  CHECK(origin.handshakes() == 1);
  CHECK(handshakes(s, "full") == 1);
}

TEST_CASE("a certificate from a CA etagd does not trust is a 502 that names the unknown CA") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().untrusted(), ""});
  ProxySettings s = https_settings();
  Proxy proxy(origin.port(), s);

  HttpResponse r = http_get(proxy.port(), "/x");
  CHECK(r.status == 502);
  CHECK(backend.request_count() == 0);
  CHECK(eventually([&] { return proxy.log().find("upstream TLS handshake failed: unknown CA") !=
                                std::string::npos; }));
  CHECK(handshakes(s, "unknown_ca") == 1);
  CHECK(sample_value(scrape(s), "etagd_upstream_errors_total{kind=\"tls_handshake\"}") == 1);
}

TEST_CASE("a certificate for another host name is a 502 that names the name mismatch") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().wrong_name(), ""});
  ProxySettings s = https_settings();
  Proxy proxy(origin.port(), s);

  CHECK(http_get(proxy.port(), "/x").status == 502);
  CHECK(eventually([&] { return proxy.log().find("upstream TLS handshake failed: name mismatch") !=
                                std::string::npos; }));
  CHECK(handshakes(s, "name_mismatch") == 1);
  CHECK(backend.request_count() == 0);
}

TEST_CASE("server_name is the name verified: a certificate for it passes where the URL's host would not") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().wrong_name(), ""});
  ProxySettings s =
      https_settings("ca_file: \"" + shared_pki().ca() + "\", server_name: wrong.example");
  Proxy proxy(origin.port(), s);

  CHECK(http_get(proxy.port(), "/x").status == 200);
  CHECK(handshakes(s, "full") == 1);
}

TEST_CASE("an expired certificate is a 502 that says it expired") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().expired(), ""});
  ProxySettings s = https_settings();
  Proxy proxy(origin.port(), s);

  CHECK(http_get(proxy.port(), "/x").status == 502);
  CHECK(eventually([&] {
    return proxy.log().find("upstream TLS handshake failed: certificate expired") !=
           std::string::npos;
  }));
  CHECK(handshakes(s, "expired") == 1);
}

TEST_CASE("an origin that answers the handshake in plain HTTP is a 502 that names a protocol failure") {
  // What a plain-HTTP server does with a ClientHello: answer 400 and close.
  int listener = bind_loopback(AF_INET, 0);
  REQUIRE(::listen(listener, 8) == 0);
  std::atomic<bool> stop{false};
  std::thread server([&] {
    while (!stop) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listener, nullptr, nullptr);
      if (fd < 0) continue;
      const char answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!::send(fd, answer, sizeof answer - 1, MSG_NOSIGNAL);
      ::close(fd);
    }
  });
  ProxySettings s = https_settings();
  {
    Proxy proxy(bound_port(listener), s);
    CHECK(http_get(proxy.port(), "/x").status == 502);
    CHECK(handshakes(s, "protocol") == 1);
    CHECK(eventually([&] {
      return proxy.log().find("upstream TLS handshake failed: protocol") != std::string::npos;
    }));
  }
  stop = true;
  server.join();
  ::close(listener);
}

TEST_CASE("verify: false accepts any certificate and warns at start and at every reload") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().untrusted(), ""});
  ProxySettings s = https_settings("verify: false");
  Proxy proxy(origin.port(), s);

  CHECK(http_get(proxy.port(), "/x").status == 200);
  const std::string warning = "TLS verification is off";
  CHECK(proxy.log().find(warning) != std::string::npos);
  size_t at_start = proxy.log().find(warning);
  proxy.process().signal(SIGHUP);
  CHECK(proxy.process().wait_for_log("configuration reloaded", 5000ms));
  CHECK(proxy.log().find(warning, at_start + 1) != std::string::npos);
}

TEST_CASE("an origin that demands a client certificate gets client_cert and answers") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().good(), shared_pki().ca()});
  CertificatePair client = shared_pki().client();
  ProxySettings s = https_settings("ca_file: \"" + shared_pki().ca() + "\", client_cert: \"" +
                                   client.cert + "\", client_key: \"" + client.key + "\"");
  Proxy proxy(origin.port(), s);

  CHECK(http_get(proxy.port(), "/x").status == 200);
  CHECK(backend.request_count("/x") == 1);
}

TEST_CASE("without client_cert an origin that demands one refuses the handshake: 502, protocol") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().good(), shared_pki().ca()});
  ProxySettings s = https_settings();
  Proxy proxy(origin.port(), s);

  CHECK(http_get(proxy.port(), "/x").status == 502);
  CHECK(backend.request_count() == 0);
  CHECK(handshakes(s, "protocol") == 1);
  // The origin's alert ("certificate required") or, when its close outruns the alert, the reset.
  CHECK(eventually([&] {
    return proxy.log().find("upstream TLS handshake failed: protocol") != std::string::npos;
  }));
}

TEST_CASE("a new connection to the origin resumes the worker's TLS session") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().good(), ""});
  ProxySettings s = https_settings();
  s.upstream += ", max_idle: 0";  // no pooling: every request opens a connection
  Proxy proxy(origin.port(), s);

  CHECK(http_get(proxy.port(), "/first").status == 200);
  CHECK(http_get(proxy.port(), "/second").status == 200);
  CHECK(http_get(proxy.port(), "/third").status == 200);
  CHECK(handshakes(s, "full") == 1);
  CHECK(handshakes(s, "resumed") == 2);
  CHECK(origin.resumed() == 2);
}

TEST_CASE("pooled https connections carry many requests over one handshake") {
  ScriptedOrigin backend;
  TlsOrigin origin(backend.port(), {shared_pki().good(), ""});
  ProxySettings s = https_settings();
  Proxy proxy(origin.port(), s);

  HttpClient client = proxy.client();
  for (int i = 0; i < 20; ++i) {
    CHECK(client.get("/item/" + std::to_string(i)).status == 200);
  }
  CHECK(origin.handshakes() == 1);
  CHECK(backend.request_count() == 20);
}

TEST_CASE("a client key that does not belong to client_cert is a config error with file:line") {
  CertificatePair broken = shared_pki().mismatched();
  TempDir dir;
  std::string config = "listen: 127.0.0.1:1\n"
                       "upstream:\n"
                       "  url: https://127.0.0.1:1\n"
                       "  tls:\n"
                       "    client_cert: " + broken.cert + "\n"
                       "    client_key: " + broken.key + "\n";
  std::string path = dir.write("etagd.yaml", config).string();
  ProcessResult r = run_process({etagd_binary_path(), "--check-config", "--config", path});
  CHECK_FALSE(r.exit.success());
  INFO(r.output);
  CHECK(r.output.find(path + ":6:17: error: upstream.tls.client_key: the key '" + broken.key +
                      "' does not belong to the certificate '" + broken.cert + "'") !=
        std::string::npos);
}
