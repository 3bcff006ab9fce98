// The --check-config warning for host names that do not resolve, with a resolver standing in
// for DNS.
#include "config/host_resolution.h"

#include <doctest/doctest.h>

#include <set>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::must_load;

// Resolves every name except those in `missing`, and records what it was asked.
struct FakeResolver {
  std::set<std::string> missing;
  std::vector<std::string> asked;
  HostResolver get() {
    return [this](const std::string& host) {
      asked.push_back(host);
      return missing.count(host) ? std::string("Name or service not known") : std::string();
    };
  }
};

TEST_CASE("an upstream host that does not resolve is a warning at upstream.url") {
  auto c = must_load("listen: 127.0.0.1:8080\nupstream:\n  url: http://api.internal:9000\n");
  FakeResolver dns{{"api.internal"}, {}};
  std::vector<Diagnostic> w = unresolved_host_warnings(*c, dns.get());
  REQUIRE(w.size() == 1);
  CHECK(w[0].severity == Diagnostic::Severity::Warning);
  CHECK(w[0].to_string() ==
        "test.yaml:3:8: warning: upstream.url: the host 'api.internal' does not resolve here "
        "(Name or service not known); etagd would not start with this file (`cannot resolve`) "
        "and a reload to it would be rejected");
}

TEST_CASE("an upstream given as a plain URL is warned about at upstream") {
  auto c = must_load("listen: 127.0.0.1:8080\nupstream: http://api.internal\n");
  FakeResolver dns{{"api.internal"}, {}};
  std::vector<Diagnostic> w = unresolved_host_warnings(*c, dns.get());
  REQUIRE(w.size() == 1);
  CHECK(w[0].to_string().starts_with("test.yaml:2:11: warning: upstream: the host "
                                     "'api.internal' does not resolve"));
}

TEST_CASE("names that resolve and IP literals give no warning, and literals are not looked up") {
  auto c = must_load("listen: [\"[::1]:8080\", localhost:8081]\nupstream: http://10.0.0.7:9000\n"
                     "admin: { listen: 127.0.0.1:9091 }\n");
  FakeResolver dns;
  CHECK(unresolved_host_warnings(*c, dns.get()).empty());
  CHECK(dns.asked == std::vector<std::string>{"localhost"});
}

TEST_CASE("listen, admin and fleet names are looked up too, each name once") {
  auto c = must_load(
      "listen: [edge.internal:8080, edge.internal:8081]\nupstream: http://api.internal\n"
      "admin: { listen: mgmt.internal:9091 }\nfleet: { redis: redis.internal }\n");
  FakeResolver dns{{"edge.internal", "mgmt.internal", "redis.internal"}, {}};
  std::vector<Diagnostic> w = unresolved_host_warnings(*c, dns.get());
  REQUIRE(w.size() == 3);
  CHECK(w[0].to_string().starts_with("test.yaml:1:10: warning: listen[0]: the host "
                                     "'edge.internal' does not resolve"));
  CHECK(w[1].key_path == "admin.listen");
  CHECK(w[2].key_path == "fleet.redis");
  CHECK(w[2].message.find("invalidations would not reach the other instances") !=
        std::string::npos);
  CHECK(dns.asked.size() == 4);  // edge.internal once
}

TEST_CASE("the getaddrinfo resolver resolves localhost and refuses a .invalid name") {
  CHECK(resolve_with_getaddrinfo("localhost").empty());
  // RFC 6761 §6.4: names under .invalid never resolve.
  CHECK_FALSE(resolve_with_getaddrinfo("no-such-host.invalid").empty());
}

}  // namespace
}  // namespace etagd::config
