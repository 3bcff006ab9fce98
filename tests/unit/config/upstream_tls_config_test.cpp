// upstream.tls as the loader reads it: https URLs, the keys of the tls mapping, and the
// mistakes it reports with file:line (files that exist only at test time are checked by the
// integration tests, tests/integration/tls).
#include <doctest/doctest.h>

#include "config/config_dump.h"
#include "load_helpers.h"

namespace etagd::config {
namespace {

using test::load;
using test::must_load;
using test::printed;
using test::reports;

constexpr std::string_view kListen = "listen: 127.0.0.1:8080\n";

TEST_CASE("an https URL is accepted, defaults to port 443, and verifies by default") {
  auto c = must_load(std::string(kListen) + "upstream: https://legacy.example.net\n");
  CHECK(c->upstream.https);
  CHECK(c->upstream.port == 443);
  CHECK(c->upstream.authority == "legacy.example.net");
  CHECK(c->upstream.tls.verify);
  CHECK(c->upstream.tls.ca_file.empty());
  CHECK(c->upstream.tls.server_name.empty());

  auto other_port = must_load(std::string(kListen) + "upstream: https://legacy.example.net:8443/v2\n");
  CHECK(other_port->upstream.port == 8443);
  CHECK(other_port->upstream.authority == "legacy.example.net:8443");
  CHECK(other_port->upstream.base_path == "/v2");
}

TEST_CASE("upstream.servers may mix http and https servers, each knows its scheme and port") {
  auto c = must_load(std::string(kListen) +
                     "upstream: { servers: [https://a.example, \"http://b.example:8080\"] }\n");
  REQUIRE(c->upstream.servers.size() == 2);
  CHECK(c->upstream.servers[0].https);
  CHECK(c->upstream.servers[0].port == 443);
  CHECK_FALSE(c->upstream.servers[1].https);
  CHECK(c->upstream.servers[1].port == 8080);
  CHECK(c->upstream.https);  // the first server names the upstream
}

TEST_CASE("upstream.tls takes server_name and verify as the issue's example writes them") {
  auto c = must_load(std::string(kListen) +
                     "upstream:\n"
                     "  url: https://10.0.0.7:8443\n"
                     "  tls:\n"
                     "    server_name: legacy.example.net\n"
                     "    verify: true\n");
  CHECK(c->upstream.tls.server_name == "legacy.example.net");
  CHECK(c->upstream.tls.verify);
}

TEST_CASE("verify: false is accepted with a warning that names the setting") {
  LoadResult r = load(std::string(kListen) +
                      "upstream: { url: https://a, tls: { verify: false } }\n");
  INFO(printed(r));
  CHECK(r.ok());
  CHECK(reports(r, "test.yaml:2:44: warning: upstream.tls.verify: TLS verification is off"));
  CHECK_FALSE(r.config->upstream.tls.verify);
}

TEST_CASE("tls on a plain http upstream has no effect, and a warning says so") {
  LoadResult r = load(std::string(kListen) +
                      "upstream: { url: http://a, tls: { server_name: a.example } }\n");
  INFO(printed(r));
  CHECK(r.ok());
  CHECK(reports(r, "test.yaml:2:33: warning: upstream.tls: has no effect: 'http://a' is plain "
                   "http; tls applies to https:// upstreams"));
}

TEST_CASE("a client certificate needs its key, and both must be absolute paths") {
  LoadResult alone = load(std::string(kListen) +
                          "upstream: { url: https://a, tls: { client_cert: /etc/etagd/c.pem } }\n");
  INFO(printed(alone));
  CHECK(reports(alone, "error: upstream.tls.client_cert: mutual TLS needs both client_cert and "
                       "client_key"));
  LoadResult relative = load(std::string(kListen) +
                             "upstream: { url: https://a, tls: { ca_file: ca.pem } }\n");
  INFO(printed(relative));
  CHECK(reports(relative, "test.yaml:2:45: error: upstream.tls.ca_file: expected an absolute "
                          "path to a PEM file, found 'ca.pem'"));
}

TEST_CASE("a ca_file that cannot be read is an error naming the file") {
  LoadResult r = load(std::string(kListen) +
                      "upstream: { url: https://a, tls: { ca_file: /nonexistent/ca.pem } }\n");
  INFO(printed(r));
  CHECK_FALSE(r.ok());
  CHECK(reports(r, "test.yaml:2:45: error: upstream.tls.ca_file: cannot read "
                   "'/nonexistent/ca.pem': No such file or directory"));
}

TEST_CASE("an unknown key in upstream.tls is an error with a suggestion") {
  LoadResult r = load(std::string(kListen) +
                      "upstream: { url: https://a, tls: { verfy: false } }\n");
  INFO(printed(r));
  CHECK(reports(r, "unknown key 'verfy'; did you mean 'verify'?"));
}

TEST_CASE("/config shows upstream.tls with its defaults") {
  auto c = must_load(std::string(kListen) + "upstream: https://a\n");
  std::string dump = dump_config(*c);
  CHECK(dump.find("\"tls\": {\n"
                  "      \"ca_file\": \"\",\n"
                  "      \"server_name\": \"\",\n"
                  "      \"verify\": true,\n"
                  "      \"client_cert\": \"\",\n"
                  "      \"client_key\": \"\"\n"
                  "    }") != std::string::npos);
}

}  // namespace
}  // namespace etagd::config
