// A `listen:` entry is an address or a mapping of the address and that listener's options
// (http2 now; more, such as tls, later). Both forms mix in one list, and the dump, the restart
// check and the messages treat them alike.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "config/config_dump.h"
#include "config/host_port.h"
#include "config/host_resolution.h"
#include "config/settings_table.h"
#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::load;
using test::must_load;
using test::printed;
using test::reports;

TEST_CASE("a listener written as a mapping gives its address and options") {
  auto c = must_load(
      "listen:\n"
      "  - 127.0.0.1:8080\n"
      "  - { address: \"[::1]:8443\", http2: on }\n"
      "  - address: 127.0.0.1:8081\n"
      "upstream: http://127.0.0.1:9000\n");
  REQUIRE(c->listen.size() == 3);
  CHECK(c->listen[0].address.text == "127.0.0.1:8080");
  CHECK_FALSE(c->listen[0].http2);
  CHECK(c->listen[1].address.host == "::1");
  CHECK(c->listen[1].address.port == 8443);
  CHECK(c->listen[1].http2);
  CHECK(c->listen[2].address.text == "127.0.0.1:8081");
  CHECK_FALSE(c->listen[2].http2);
}

TEST_CASE("http2 is off unless the listener says so, and takes on/off and true/false") {
  CHECK_FALSE(must_load("listen: 127.0.0.1:8080\nupstream: http://a\n")->listen[0].http2);
  CHECK(must_load("listen: { address: 127.0.0.1:8080, http2: true }\nupstream: http://a\n")
            ->listen[0]
            .http2);
  CHECK_FALSE(must_load("listen: { address: 127.0.0.1:8080, http2: off }\nupstream: http://a\n")
                  ->listen[0]
                  .http2);
}

TEST_CASE("a bare port in a mapping is every address, each with the listener's options") {
  auto c = must_load("listen: [{ address: 8080, http2: on }]\nupstream: http://a\n");
  REQUIRE(c->listen.size() == (ipv6_available() ? 2u : 1u));
  CHECK(c->listen[0].address.text == "0.0.0.0:8080");
  for (const ListenerConfig& l : c->listen) CHECK(l.http2);
  if (c->listen.size() == 2) CHECK(c->listen[1].address.text == "[::]:8080");
}

TEST_CASE("mistakes in a listener mapping are reported at their line, every one") {
  LoadResult r = load(
      "listen:\n"
      "  - { http2: on }\n"
      "  - { address: 127.0.0.1:8080, http2: maybe }\n"
      "  - { address: 127.0.0.1:8081, htp2: on }\n"
      "  - { address: \"127.0.0.1:99999\" }\n"
      "  - { address: 127.0.0.1:8082 }\n"
      "  - 127.0.0.1:8082\n"
      "upstream: http://a\n");
  INFO(printed(r));
  CHECK_FALSE(r.ok());
  CHECK(reports(r, "test.yaml:2:5: error: listen[0]: a listener needs an address"));
  CHECK(reports(r, "test.yaml:3:39: error: listen[1].http2: "));
  CHECK(reports(r, "test.yaml:4:32: error: listen[2].htp2: unknown key"));
  CHECK(reports(r, "did you mean 'http2'?"));
  CHECK(reports(r, "test.yaml:5:16: error: listen[3].address: "));
  CHECK(reports(r, "test.yaml:7:5: error: listen[5]: '127.0.0.1:8082' is listed twice"));
}

TEST_CASE("the dump writes a plain listener as its address and one with options as a mapping") {
  auto c = must_load(
      "listen: [127.0.0.1:8080, { address: 127.0.0.1:8081, http2: on }, "
      "{ address: 127.0.0.1:8082, http2: off }]\n"
      "upstream: http://a\n");
  YAML::Node doc = YAML::Load(dump_config(*c));
  REQUIRE(doc["listen"].size() == 3);
  CHECK(doc["listen"][0].as<std::string>() == "127.0.0.1:8080");
  CHECK(doc["listen"][1]["address"].as<std::string>() == "127.0.0.1:8081");
  CHECK(doc["listen"][1]["http2"].as<bool>());
  CHECK(doc["listen"][2].as<std::string>() == "127.0.0.1:8082");
  // What the dump writes loads back to the same listeners.
  auto again = must_load("listen: " + YAML::Dump(doc["listen"]) + "\nupstream: http://a\n");
  const Setting<Config>& listen = settings_blocks().front().settings.front();
  REQUIRE(listen.name == "listen");
  CHECK(listen.same(*c, *again));
}

TEST_CASE("switching http2 on a listener needs a restart, the form it is written in does not") {
  auto running = must_load("listen: [127.0.0.1:8080]\nupstream: http://a\n");
  auto check = [&](const std::string& listen) {
    auto loaded = must_load("listen: " + listen + "\nupstream: http://a\n");
    keep_running_settings(*running, *loaded);
    std::vector<std::string> keys;
    for (const PendingRestart& p : loaded->pending_restart) keys.push_back(p.key);
    return keys;
  };
  CHECK(check("[{ address: 127.0.0.1:8080, http2: on }]") == std::vector<std::string>{"listen"});
  CHECK(check("[{ address: 127.0.0.1:8080 }]").empty());
  CHECK(check("[{ address: 127.0.0.1:8080, http2: off }]").empty());
}

TEST_CASE("a name in a listener mapping is looked up at the address's position") {
  auto c = must_load("listen:\n  - { address: edge.internal:8080, http2: on }\nupstream: http://a\n");
  std::vector<Diagnostic> w = unresolved_host_warnings(*c, [](const std::string& host) {
    return host == "edge.internal" ? std::string("Name or service not known") : std::string();
  });
  REQUIRE(w.size() == 1);
  CHECK(w[0].to_string().starts_with("test.yaml:2:16: warning: listen[0].address: "));
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

TEST_CASE("http2: on is accepted without a warning and turns HTTP/2 on for that listener only") {
  LoadResult r = test::load("listen: [{ address: 127.0.0.1:8080, http2: on }, 127.0.0.1:8081]\n"
                            "upstream: http://a\n");
  REQUIRE(r.ok());
  CHECK_FALSE(test::reports(r, "HTTP/2"));
  REQUIRE(r.config->listen.size() == 2);
  CHECK(r.config->listen[0].http2);
  CHECK_FALSE(r.config->listen[1].http2);
}

}  // namespace
}  // namespace etagd::config
