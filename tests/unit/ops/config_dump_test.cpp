#include "ops/config_dump.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "config/config_loader.h"

namespace etagd::ops {
namespace {

using std::chrono::milliseconds;

TEST_CASE("durations are shown in the largest unit that states them exactly") {
  CHECK(format_duration(milliseconds(250)) == "250ms");
  CHECK(format_duration(milliseconds(1500)) == "1500ms");
  CHECK(format_duration(milliseconds(60'000)) == "1m");
  CHECK(format_duration(milliseconds(90'000)) == "90s");
  CHECK(format_duration(milliseconds(7'200'000)) == "2h");
  CHECK(format_duration(milliseconds(86'400'000)) == "1d");
  CHECK(format_duration(milliseconds(0)) == "0s");
  CHECK(format_duration(std::chrono::seconds(10)) == "10s");
}

TEST_CASE("sizes are shown in the largest binary unit that states them exactly") {
  CHECK(format_size(256ull << 20) == "256MiB");
  CHECK(format_size(16 << 10) == "16KiB");
  CHECK(format_size(1ull << 30) == "1GiB");
  CHECK(format_size(1000) == "1000");
  CHECK(format_size(1536ull << 10) == "1536KiB");
  CHECK(format_size(0) == "0");
}

TEST_CASE("the config dump is JSON with the file's keys, defaults filled in, and the rules") {
  config::LoadResult loaded = config::load_config_text(
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
}  // namespace etagd::ops

namespace etagd::ops {
namespace {

TEST_CASE("the config dump shows trusted_proxies, upstream.forwarded and key_cookies") {
  config::LoadResult loaded = config::load_config_text(
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
}  // namespace etagd::ops
