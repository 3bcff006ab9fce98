#include "config/config_dump.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "config/config_loader.h"

namespace etagd::config {
namespace {

TEST_CASE("the config dump is JSON with the file's keys, defaults filled in, and the rules") {
  LoadResult loaded = load_config_text(
      "listen: [127.0.0.1:8080, \"[::1]:8080\"]\n"
      "upstream: { url: http://127.0.0.1:9000/base, host_header: api.internal }\n"
      "workers: 3\n"
      "cache: { max_memory: 64MiB }\n"
      "log: { level: debug, access_log: stdout, access_format: json }\n"
      "rules:\n"
      "  - name: items\n"
      "    match: { methods: [GET, HEAD], prefix: /api/ }\n"
      "    ttl: 60s\n"
      "    key_headers: [Authorization]\n"
      "    cache_control: { 2xx: \"max-age=60, must-revalidate\" }\n"
      "  - match: { methods: [POST], glob: /api/*/upload }\n"
      "    cache: bypass\n"
      "    invalidate: [$parent, /api/uploads/]\n",
      "dump.yaml");
  REQUIRE_MESSAGE(loaded.ok(),
                  (loaded.diagnostics.empty() ? std::string() : loaded.diagnostics[0].to_string()));
  std::string dump = dump_config(*loaded.config);
  YAML::Node doc = YAML::Load(dump);  // JSON is YAML: this also proves the dump parses

  CHECK(doc["source"].as<std::string>() == "dump.yaml");
  CHECK(doc["listen"].size() == 2);
  CHECK(doc["listen"][1].as<std::string>() == "[::1]:8080");
  CHECK(doc["upstream"]["url"].as<std::string>() == "http://127.0.0.1:9000/base");
  CHECK(doc["upstream"]["host_header"].as<std::string>() == "api.internal");
  CHECK(doc["workers"].as<int>() == 3);
  CHECK(doc["cache"]["max_memory"].as<std::string>() == "64MiB");
  CHECK(doc["cache"]["shards"].as<int>() == 16);  // a default, filled in
  CHECK(doc["timeouts"]["client_ping"].as<std::string>() == "30s");
  CHECK(doc["timeouts"]["upstream_connect"].as<std::string>() == "5s");
  CHECK(doc["log"]["level"].as<std::string>() == "debug");
  CHECK(doc["log"]["access_format"].as<std::string>() == "json");
  CHECK(doc["admin"]["listen"].as<std::string>() == "127.0.0.1:9091");
  CHECK(doc["fleet"].as<std::string>() == "off");

  REQUIRE(doc["rules"].size() == 2);
  YAML::Node items = doc["rules"][0];
  CHECK(items["name"].as<std::string>() == "items");
  CHECK(items["line"].as<int>() == 7);
  CHECK(items["match"]["methods"][0].as<std::string>() == "GET");
  CHECK(items["match"]["methods"][1].as<std::string>() == "HEAD");
  CHECK(items["match"]["prefix"].as<std::string>() == "/api/");
  CHECK(items["cache"].as<std::string>() == "store");
  CHECK(items["ttl"].as<std::string>() == "1m");
  CHECK(items["key_headers"][0].as<std::string>() == "authorization");
  CHECK(items["cache_control"]["2xx"].as<std::string>() == "max-age=60, must-revalidate");
  YAML::Node upload = doc["rules"][1];
  CHECK(upload["match"]["glob"].as<std::string>() == "/api/*/upload");
  CHECK(upload["cache"].as<std::string>() == "bypass");
  CHECK(upload["invalidate"][0].as<std::string>() == "$parent");
  CHECK(upload["invalidate"][1].as<std::string>() == "/api/uploads/");
  CHECK(doc["defaults"]["ttl"].as<std::string>() == "origin");
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

TEST_CASE("the config dump shows trusted_proxies, upstream.forwarded and key_cookies") {
  LoadResult loaded = load_config_text(
      "listen: 127.0.0.1:8080\n"
      "upstream: { url: http://127.0.0.1:9000, forwarded: rfc7239 }\n"
      "trusted_proxies: [10.0.0.0/8, \"::1\"]\n"
      "rules:\n"
      "  - match: { prefix: /api/ }\n"
      "    key_cookies: [sessionid]\n",
      "dump.yaml");
  REQUIRE(loaded.ok());
  YAML::Node doc = YAML::Load(dump_config(*loaded.config));
  CHECK(doc["upstream"]["forwarded"].as<std::string>() == "rfc7239");
  REQUIRE(doc["trusted_proxies"].size() == 2);
  CHECK(doc["trusted_proxies"][0].as<std::string>() == "10.0.0.0/8");
  CHECK(doc["trusted_proxies"][1].as<std::string>() == "::1");
  CHECK(doc["rules"][0]["key_cookies"][0].as<std::string>() == "sessionid");
  CHECK(doc["defaults"]["key_cookies"].size() == 0);
}

}  // namespace
}  // namespace etagd::config

#include "base/json_writer.h"
#include "config/rules_loader.h"
#include "config/settings_table.h"

namespace etagd::config {
namespace {

// A config with a value other than the default for every setting the tables hold.
constexpr const char* kEverythingChanged = R"(
listen: [ "0.0.0.0:8080", "[::1]:8081" ]
upstream:
  url: http://origin.internal:9000/base
  host_header: api.internal:8443
  max_idle: 8
  idle_timeout: 1m30s
  forwarded: rfc7239
  max_connections: 16
  queue: { size: 50, timeout: 2s }
  health_check: { path: /ping, interval: 3s, timeout: 500ms, fails: 2, passes: 4 }
  passive: { fails: 3, within: 5s, eject_for: 20s }
  retry: { tries: 3 }
  slow_start: 0s
  tls: { server_name: legacy.example.net, verify: false }
trusted_proxies: [10.0.0.0/8, "2001:db8::/32"]
targeted_cache_control: [Edge-Cache-Control]
workers: 4
timeouts: { client_header: 5s, client_body: 6s, client_idle: 7s, client_send: 8s,
            client_ping: off, upstream_connect: 250ms, upstream_read: 9s, shutdown: 0s }
limits: { max_header_bytes: 32KiB, max_headers: 50, max_request_body: 2MiB, max_connections: 500,
          max_concurrent_streams: 64, stream_resets_per_second: 25 }
cache: { max_memory: 1GiB, max_object_size: 1MiB, shards: 64, status_header: off,
         coalesce_timeout: 2s, heuristic_max: 30m }
log: { level: debug, error_log: /var/log/etagd/error.log, access_log: stdout,
       access_format: combined }
admin: { listen: "[::1]:9999" }
fleet: { redis: "10.0.0.5:6380", channel: "edge:inv", instance_id: edge-1,
         reconnect_min: 50ms, reconnect_max: 10s, max_staleness: 2s }
defaults:
  cache: validate
  ttl: { 2xx: 90s, 404: 10s, other: 0s }
  cache_key: { query: { sort: on, ignore: ["utm_*", fbclid], forward: normalised } }
  key_headers: [Authorization]
  key_cookies: [sid]
  cache_control: { 2xx: "max-age=60, must-revalidate", other: no-store }
  invalidate: [/api/uploads/, $path, $parent]
  headers: { remove: [Server], set: { X-Frame-Options: DENY }, add: { Vary: Accept } }
  etag: generate
  range: forward
  stale_if_error: 5m
  stale_while_revalidate: 30s
  compress: { encodings: [gzip, br], types: [application/json, "text/*"], min_size: 1KiB, level: { br: 4, zstd: 3, gzip: 9 } }
)";

std::string printed(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.to_string() + "\n";
  return out;
}

template <typename Target>
std::string json_of(const Setting<Target>& s, const Target& t) {
  base::JsonWriter w;
  s.write(w, t);
  return w.str();
}

TEST_CASE("every setting the dump writes reads back to the same value") {
  LoadResult full = load_config_text(kEverythingChanged, "full.yaml");
  INFO(printed(full));
  REQUIRE(full.ok());
  const Config defaults;
  for (const SettingsBlock& b : settings_blocks()) {
    for (const Setting<Config>& s : b.settings) {
      std::string path = b.path_of(s.name);
      CAPTURE(path);
      CHECK_FALSE(s.same(*full.config, defaults));  // the test covers every row
      // JSON is YAML: the dumped value, put back where it came from.
      std::string value = json_of(s, *full.config);
      std::string yaml = b.name.empty() ? std::string(s.name) + ": " + value + "\n"
                                        : std::string(b.name) + ": { " + std::string(s.name) +
                                              ": " + value + " }\n";
      if (path != "listen") yaml += "listen: 127.0.0.1:1\n";
      if (b.name != "upstream") yaml += "upstream: http://origin.internal:9000/base\n";
      // url and servers are the two ways to name the origin: one or the other.
      if (b.name == "upstream" && s.name != "url" && s.name != "servers") {
        yaml.replace(yaml.find("{ "), 2, "{ url: http://origin.internal:9000/base, ");
      }
      LoadResult back = load_config_text(yaml, "back.yaml");
      INFO(yaml);
      INFO(printed(back));
      REQUIRE(back.ok());
      CHECK(s.same(*back.config, *full.config));
    }
  }
}

TEST_CASE("every rule action the dump writes reads back to the same value") {
  LoadResult full = load_config_text(kEverythingChanged, "full.yaml");
  REQUIRE(full.ok());
  const RuleActions& changed = full.config->rules.defaults();
  const RuleActions defaults;
  for (const Setting<RuleActions>& s : rule_action_settings()) {
    if (s.name == "ignore_upstream_cache_control") continue;  // needs a store rule; below
    CAPTURE(s.name);
    CHECK_FALSE(s.same(changed, defaults));
    std::string yaml = std::string("listen: 127.0.0.1:1\nupstream: http://a\ndefaults: { ") +
                       std::string(s.name) + ": " + json_of(s, changed) + " }\n";
    LoadResult back = load_config_text(yaml, "back.yaml");
    INFO(yaml);
    REQUIRE(back.ok());
    CHECK(s.same(back.config->rules.defaults(), changed));
  }
  LoadResult ignoring = load_config_text(
      "listen: 127.0.0.1:1\nupstream: http://a\n"
      "defaults: { ttl: 60s, key_headers: [Authorization], ignore_upstream_cache_control: true }\n",
      "x.yaml");
  REQUIRE(ignoring.ok());
  CHECK(ignoring.config->rules.defaults().ignore_upstream_cache_control);
}

}  // namespace
}  // namespace etagd::config
