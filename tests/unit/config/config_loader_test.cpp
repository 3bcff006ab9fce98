// Every key of the schema, read into Config.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "config/host_port.h"
#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using namespace std::chrono_literals;
using test::load;
using test::load_with_minimal;
using test::printed;

TEST_CASE("a config with only listen and upstream takes the documented defaults") {
  LoadResult r = load(test::kMinimal);
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.diagnostics.empty());
  const Config& c = *r.config;
  CHECK(c.source_path == "test.yaml");
  REQUIRE(c.listen.size() == 1);
  CHECK(c.listen[0].address.host == "127.0.0.1");
  CHECK(c.listen[0].address.port == 8080);
  CHECK(c.listen[0].address.text == "127.0.0.1:8080");
  CHECK(c.upstream.host == "127.0.0.1");
  CHECK(c.upstream.port == 9000);
  CHECK(c.upstream.base_path.empty());
  CHECK(c.upstream.authority == "127.0.0.1:9000");
  CHECK(c.upstream.host_header == HostHeader::Forward);
  CHECK(c.upstream.max_idle == 32);
  CHECK(c.upstream.idle_timeout == 60s);
  CHECK(c.workers == 0);
  CHECK(c.timeouts.client_header == 10s);
  CHECK(c.timeouts.client_ping == 30s);
  CHECK(c.timeouts.shutdown == 10s);
  CHECK(c.limits.max_header_bytes == 16 * 1024);
  CHECK(c.limits.max_connections == 10'000);
  CHECK(c.limits.max_concurrent_streams == 128);
  CHECK(c.limits.stream_resets_per_second == 100);
  CHECK(c.cache.max_memory == 256ull << 20);
  CHECK(c.cache.shards == 16);
  CHECK(c.cache.status_header == "X-Cache");
  CHECK(c.log.level == LogLevel::Info);
  CHECK(c.log.access_log == "off");
  CHECK(c.admin.enabled);
  CHECK(c.admin.listen.port == 9091);
  CHECK_FALSE(c.fleet.enabled);
  CHECK(c.fleet.instance_id.find(':' + std::to_string(getpid())) != std::string::npos);
  CHECK(c.rules.rules().empty());
  CHECK(c.rules.defaults().cache == CacheMode::Store);
  CHECK(c.rules.defaults().ttl.from_origin);  // safe default: follow the origin (RFC 9111)
  CHECK(c.rules.defaults().etag == EtagPolicy::Preserve);
}

TEST_CASE("every top-level setting is read") {
  LoadResult r = load(R"(
listen: [ "0.0.0.0:8080", "[::1]:8081" ]
upstream:
  url: http://origin.internal:9000/base/
  host_header: upstream
  max_idle: 8
  idle_timeout: 30s
workers: 4
timeouts: { client_header: 5s, client_body: 6s, client_idle: 7s, client_send: 8s,
            client_ping: 45s, upstream_connect: 250ms, upstream_read: 9s, shutdown: 0s }
limits: { max_header_bytes: 32KiB, max_headers: 50, max_request_body: 2MiB, max_connections: 500,
          max_concurrent_streams: 64, stream_resets_per_second: 25 }
cache: { max_memory: 1GiB, max_object_size: 1MiB, shards: 64, status_header: X-Edge-Cache,
         coalesce_timeout: 2s }
log: { level: debug, error_log: /var/log/etagd/error.log, access_log: stdout, access_format: json }
admin: { listen: "[::1]:9999" }
fleet: { redis: "10.0.0.5:6380", channel: "edge:inv", instance_id: edge-1,
         reconnect_min: 50ms, reconnect_max: 10s, max_staleness: 2s }
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  REQUIRE(c.listen.size() == 2);
  CHECK(c.listen[0].address.host == "0.0.0.0");
  CHECK(c.listen[1].address.host == "::1");
  CHECK(c.listen[1].address.port == 8081);
  CHECK(c.listen[1].address.text == "[::1]:8081");

  CHECK(c.upstream.url == "http://origin.internal:9000/base/");
  CHECK(c.upstream.host == "origin.internal");
  CHECK(c.upstream.port == 9000);
  CHECK(c.upstream.base_path == "/base");
  CHECK(c.upstream.authority == "origin.internal:9000");
  CHECK(c.upstream.host_header == HostHeader::Upstream);
  CHECK(c.upstream.max_idle == 8);
  CHECK(c.upstream.idle_timeout == 30s);

  CHECK(c.workers == 4);
  CHECK(c.timeouts.client_header == 5s);
  CHECK(c.timeouts.client_body == 6s);
  CHECK(c.timeouts.client_idle == 7s);
  CHECK(c.timeouts.client_send == 8s);
  CHECK(c.timeouts.client_ping == 45s);
  CHECK(c.timeouts.upstream_connect == 250ms);
  CHECK(c.timeouts.upstream_read == 9s);
  CHECK(c.timeouts.shutdown == 0s);

  CHECK(c.limits.max_header_bytes == 32 * 1024);
  CHECK(c.limits.max_headers == 50);
  CHECK(c.limits.max_request_body == 2 * 1024 * 1024);
  CHECK(c.limits.max_connections == 500);
  CHECK(c.limits.max_concurrent_streams == 64);
  CHECK(c.limits.stream_resets_per_second == 25);

  CHECK(c.cache.max_memory == 1ull << 30);
  CHECK(c.cache.max_object_size == 1ull << 20);
  CHECK(c.cache.shards == 64);
  CHECK(c.cache.status_header == "X-Edge-Cache");
  CHECK(c.cache.coalesce_timeout == 2s);

  CHECK(c.log.level == LogLevel::Debug);
  CHECK(c.log.error_log == "/var/log/etagd/error.log");
  CHECK(c.log.access_log == "stdout");
  CHECK(c.log.access_format == LogFormat::Json);

  CHECK(c.admin.enabled);
  CHECK(c.admin.listen.host == "::1");
  CHECK(c.admin.listen.port == 9999);

  CHECK(c.fleet.enabled);
  CHECK(c.fleet.redis_host == "10.0.0.5");
  CHECK(c.fleet.redis_port == 6380);
  CHECK(c.fleet.channel == "edge:inv");
  CHECK(c.fleet.instance_id == "edge-1");
  CHECK(c.fleet.reconnect_min == 50ms);
  CHECK(c.fleet.reconnect_max == 10s);
  CHECK(c.fleet.max_staleness == 2s);
}

TEST_CASE("listen takes a single string as well as a list") {
  LoadResult r = load("listen: \"[::]:80\"\nupstream: { url: http://a }\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  REQUIRE(r.config->listen.size() == 1);
  CHECK(r.config->listen[0].address.host == "::");
  CHECK(r.config->listen[0].address.port == 80);
}

TEST_CASE("the upstream URL's port defaults to 80 and a bare / base path is none") {
  LoadResult r = load("listen: 127.0.0.1:1\nupstream: { url: http://backend/ }\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.config->upstream.host == "backend");
  CHECK(r.config->upstream.port == 80);
  CHECK(r.config->upstream.authority == "backend");
  CHECK(r.config->upstream.base_path.empty());
}

TEST_CASE("an IPv6 upstream keeps brackets in its authority only") {
  LoadResult r = load("listen: 127.0.0.1:1\nupstream: { url: \"http://[::1]:9000/v1\" }\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.config->upstream.host == "::1");
  CHECK(r.config->upstream.port == 9000);
  CHECK(r.config->upstream.authority == "[::1]:9000");
  CHECK(r.config->upstream.base_path == "/v1");
}

TEST_CASE("host_header takes forward, upstream, or a literal host to send") {
  LoadResult r =
      load("listen: 127.0.0.1:1\nupstream: { url: http://a, host_header: api.example.com }\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.config->upstream.host_header == HostHeader::Fixed);
  CHECK(r.config->upstream.fixed_host == "api.example.com");

  r = load(
      "listen: 127.0.0.1:1\nupstream: { url: http://a, host_header: \"api.example.com:8443\" }\n");
  REQUIRE(r.ok());
  CHECK(r.config->upstream.fixed_host == "api.example.com:8443");

  r = load("listen: 127.0.0.1:1\nupstream: { url: http://a, host_header: forward }\n");
  REQUIRE(r.ok());
  CHECK(r.config->upstream.host_header == HostHeader::Forward);
}

TEST_CASE("workers: auto means one per CPU, stored as 0") {
  LoadResult r = load_with_minimal("workers: auto\n");
  REQUIRE(r.ok());
  CHECK(r.config->workers == 0);
}

TEST_CASE("admin: off disables the admin listener and fleet: off keeps fleet disabled") {
  LoadResult r = load_with_minimal("admin: off\nfleet: off\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK_FALSE(r.config->admin.enabled);
  CHECK_FALSE(r.config->fleet.enabled);
}

TEST_CASE("a fleet block enables fleet with defaults, redis port 6379 when omitted") {
  LoadResult r = load_with_minimal("fleet: { redis: redis.internal }\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.config->fleet.enabled);
  CHECK(r.config->fleet.redis_host == "redis.internal");
  CHECK(r.config->fleet.redis_port == 6379);
  CHECK(r.config->fleet.channel == "etagd:invalidate");
  CHECK_FALSE(r.config->fleet.instance_id.empty());

  r = load_with_minimal("fleet: {}\n");
  REQUIRE(r.ok());
  CHECK(r.config->fleet.enabled);
  CHECK(r.config->fleet.redis_host == "127.0.0.1");
}

TEST_CASE("a block left empty (every line below it commented out) takes its defaults") {
  LoadResult r = load_with_minimal("timeouts:\n#  client_header: 5s\nlimits:\ncache:\ndefaults:\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.config->timeouts.client_header == 10s);
  CHECK(r.config->cache.shards == 16);
}

TEST_CASE("cache.status_header: off sends no cache-status header") {
  LoadResult r = load_with_minimal("cache: { status_header: off }\n");
  REQUIRE(r.ok());
  CHECK(r.config->cache.status_header.empty());
}

TEST_CASE("timeouts.client_ping: off and 0s both turn HTTP/2 PINGs off, a word is refused at its line") {
  for (const char* v : {"off", "false", "0s"}) {
    CAPTURE(v);
    LoadResult r = load_with_minimal(std::string("timeouts: { client_ping: ") + v + " }\n");
    INFO(printed(r));
    REQUIRE(r.ok());
    CHECK(r.config->timeouts.client_ping == 0s);
  }
  LoadResult r = load_with_minimal("timeouts:\n  client_ping: sometimes\n");
  CHECK_FALSE(r.ok());
  CHECK(printed(r).find("timeouts.client_ping") != std::string::npos);
  CHECK(printed(r).find("'sometimes' is not a duration") != std::string::npos);
}

TEST_CASE("access_log accepts off, stdout, stderr and absolute paths") {
  for (const char* v : {"off", "stdout", "stderr", "/var/log/etagd/access.log"}) {
    CAPTURE(v);
    LoadResult r = load_with_minimal(std::string("log: { access_log: ") + v + " }\n");
    REQUIRE(r.ok());
    CHECK(r.config->log.access_log == v);
  }
}

TEST_CASE("log levels are the spdlog levels") {
  for (auto [name, expected] :
       {std::pair{"trace", LogLevel::Trace}, std::pair{"warn", LogLevel::Warn},
        std::pair{"error", LogLevel::Error}, std::pair{"critical", LogLevel::Critical},
        std::pair{"off", LogLevel::Off}}) {
    // Copies: clang before 16 cannot capture structured bindings in doctest's lambdas.
    const char* word = name;
    LogLevel level = expected;
    CAPTURE(word);
    LoadResult r = load_with_minimal(std::string("log: { level: ") + word + " }\n");
    REQUIRE(r.ok());
    CHECK(r.config->log.level == level);
  }
}

TEST_CASE("load_config_file reads a file and names it in messages") {
  char path[] = "/tmp/etagd-config-test-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  {
    std::ofstream out(path);
    out << "listen: 127.0.0.1:8080\nupstream: { url: http://a }\nworkers: many\n";
  }
  LoadResult r = load_config_file(path);
  std::remove(path);
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].to_string() ==
        std::string(path) +
            ":3:10: error: workers: expected `auto` or a number of worker "
            "threads, found 'many'");
}

TEST_CASE("an unreadable config file is one error without a position") {
  LoadResult r = load_config_file("/nonexistent/etagd.yaml");
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].line == 0);
  CHECK(r.diagnostics[0].to_string().starts_with(
      "/nonexistent/etagd.yaml: error: cannot read the file"));

  r = load_config_file("/tmp");
  CHECK_FALSE(r.ok());
  CHECK(r.diagnostics.at(0).to_string().starts_with("/tmp: error: cannot read the file"));
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

using test::load;
using test::load_with_minimal;
using test::printed;

TEST_CASE("trusted_proxies defaults to nobody and reads addresses and networks of both families") {
  LoadResult none = load(test::kMinimal);
  REQUIRE(none.ok());
  CHECK(none.config->trusted_proxies.empty());

  LoadResult r =
      load_with_minimal("trusted_proxies: [10.0.0.0/8, 192.168.1.7, \"::1\", \"2001:db8::/32\"]\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.diagnostics.empty());
  const std::vector<IpNetwork>& t = r.config->trusted_proxies;
  REQUIRE(t.size() == 4);
  CHECK(t[0].to_string() == "10.0.0.0/8");
  CHECK(t[1].to_string() == "192.168.1.7");
  CHECK(t[2].to_string() == "::1");
  CHECK(t[3].to_string() == "2001:db8::/32");
}

TEST_CASE("trusted_proxies takes a single address as a one-item list") {
  LoadResult r = load_with_minimal("trusted_proxies: 127.0.0.1\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  REQUIRE(r.config->trusted_proxies.size() == 1);
  CHECK(r.config->trusted_proxies[0].to_string() == "127.0.0.1");
}

TEST_CASE("upstream.forwarded is off by default and takes rfc7239 or off") {
  LoadResult r = load(test::kMinimal);
  REQUIRE(r.ok());
  CHECK(r.config->upstream.forwarded == ForwardedHeader::Off);
  r = load("listen: 127.0.0.1:1\nupstream: { url: http://a, forwarded: rfc7239 }\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.config->upstream.forwarded == ForwardedHeader::Rfc7239);
  r = load("listen: 127.0.0.1:1\nupstream: { url: http://a, forwarded: off }\n");
  REQUIRE(r.ok());
  CHECK(r.config->upstream.forwarded == ForwardedHeader::Off);
}

TEST_CASE("an upstream given as a plain URL is shorthand for a block with only url") {
  LoadResult r = load("listen: 127.0.0.1:8080\nupstream: http://127.0.0.1:9000/v2\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.diagnostics.empty());
  const UpstreamConfig& u = r.config->upstream;
  CHECK(u.url == "http://127.0.0.1:9000/v2");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 9000);
  CHECK(u.base_path == "/v2");
  CHECK(u.host_header == HostHeader::Forward);
  CHECK(u.max_idle == 32);
}

TEST_CASE("a bare listen port means every IPv4 address, and every IPv6 address where available") {
  for (const char* listen : {"listen: 8080\n", "listen: [8080]\n"}) {
    CAPTURE(listen);
    LoadResult r = load(std::string(listen) + "upstream: http://127.0.0.1:9000\n");
    INFO(printed(r));
    REQUIRE(r.ok());
    const std::vector<ListenerConfig>& l = r.config->listen;
    REQUIRE(l.size() == (ipv6_available() ? 2u : 1u));
    CHECK(l[0].address.host == "0.0.0.0");
    CHECK(l[0].address.port == 8080);
    CHECK(l[0].address.text == "0.0.0.0:8080");
    if (l.size() == 2) {
      CHECK(l[1].address.host == "::");
      CHECK(l[1].address.port == 8080);
      CHECK(l[1].address.text == "[::]:8080");
    }
  }
}

TEST_CASE("a bare listen port mixes with host:port entries in a list") {
  LoadResult r = load("listen: [8080, 127.0.0.1:9090]\nupstream: http://127.0.0.1:9000\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.config->listen.front().address.text == "0.0.0.0:8080");
  CHECK(r.config->listen.back().address.text == "127.0.0.1:9090");
}

TEST_CASE("false means off and true means on wherever a setting is switched") {
  // YAML 1.1 tools (Ansible's templates) write an unquoted off as false.
  LoadResult r = load_with_minimal(R"(
admin: false
fleet: false
cache: { status_header: false }
log: { access_log: false, level: false }
rules:
  - match: { prefix: /legacy/ }
    ttl: 30s
    key_headers: [Authorization]
    ignore_upstream_cache_control: on
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK_FALSE(r.config->admin.enabled);
  CHECK_FALSE(r.config->fleet.enabled);
  CHECK(r.config->cache.status_header.empty());
  CHECK(r.config->log.access_log == "off");
  CHECK(r.config->log.level == LogLevel::Off);
  CHECK(r.config->rules.rules()[0].actions.ignore_upstream_cache_control);

  r = load("listen: 127.0.0.1:1\nupstream: { url: http://a, forwarded: false }\n"
           "admin: true\nfleet: on\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.config->upstream.forwarded == ForwardedHeader::Off);
  CHECK(r.config->admin.enabled);
  CHECK(r.config->admin.listen.text == "127.0.0.1:9091");
  CHECK(r.config->fleet.enabled);
  CHECK(r.config->fleet.redis_port == 6379);

  for (const char* word : {"off", "Off", "OFF", "false", "False", "FALSE"}) {
    CAPTURE(word);
    LoadResult a = load_with_minimal(std::string("admin: ") + word + "\n");
    REQUIRE(a.ok());
    CHECK_FALSE(a.config->admin.enabled);
  }
}

}  // namespace
}  // namespace etagd::config
