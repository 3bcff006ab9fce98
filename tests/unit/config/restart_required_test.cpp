#include <doctest/doctest.h>

#include "config/config_dump.h"
#include "config/settings_table.h"
#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::load;
using test::must_load;
using test::printed;

// The keys a reload from `running` to `yaml` leaves waiting for a restart.
std::vector<std::string> pending_keys(const Config& running, const std::string& yaml) {
  std::shared_ptr<Config> loaded = must_load(yaml);
  keep_running_settings(running, *loaded);
  std::vector<std::string> keys;
  for (const PendingRestart& p : loaded->pending_restart) keys.push_back(p.key);
  return keys;
}

const std::string kBase = R"(
listen: [127.0.0.1:8080]
upstream: { url: http://127.0.0.1:9000 }
workers: 2
limits: { max_connections: 100 }
cache: { max_memory: 64MiB, shards: 8 }
admin: { listen: 127.0.0.1:9091 }
)";

TEST_CASE("settings that apply on reload are not reported as needing a restart") {
  auto running = must_load(kBase);
  CHECK(pending_keys(*running, kBase + R"(
timeouts: { upstream_read: 5s }
log: { level: debug }
rules:
  - match: { prefix: /api/ }
    cache_control: no-store
)").empty());
  CHECK(pending_keys(*running, kBase).empty());
}

TEST_CASE("each setting fixed at start-up is reported, one key each") {
  auto running = must_load(kBase);
  CHECK(pending_keys(*running, R"(
listen: [127.0.0.1:8081]
upstream: { url: http://127.0.0.1:9000 }
workers: 4
limits: { max_connections: 200 }
cache: { max_memory: 128MiB, shards: 16 }
admin: { listen: 127.0.0.1:9092 }
fleet: { redis: 127.0.0.1:6379 }
)") == std::vector<std::string>{"listen", "workers", "limits.max_connections", "cache.max_memory",
                                 "cache.shards", "admin.listen", "fleet"});
}

TEST_CASE("adding a listen address or switching admin off needs a restart") {
  auto running = must_load(kBase);
  std::string more = kBase;
  more.replace(more.find("[127.0.0.1:8080]"), 16, "[127.0.0.1:8080, \"[::1]:8080\"]");
  CHECK(pending_keys(*running, more) == std::vector<std::string>{"listen"});

  std::string no_admin = kBase;
  no_admin.replace(no_admin.find("{ listen: 127.0.0.1:9091 }"), 26, "off");
  CHECK(pending_keys(*running, no_admin) == std::vector<std::string>{"admin"});
}

// The certificate files are checked when a file is read (tests/integration/tls); the restart
// check only compares what was read, so these configs set the paths directly.
TEST_CASE("a listener's certificates and protocols apply on reload, and TLS switched on or off waits for a restart") {
  auto running = must_load(kBase);
  running->listen[0].tls.certificates = {{"/etc/etagd/api.pem", "/etc/etagd/api.key"}};
  auto reloaded = [&](auto change) {
    std::shared_ptr<Config> loaded = must_load(kBase);
    loaded->listen[0].tls = running->listen[0].tls;
    change(loaded->listen[0].tls);
    keep_running_settings(*running, *loaded);
    return loaded;
  };
  auto added = reloaded([](ListenerTls& t) {
    t.certificates.push_back({"/etc/etagd/other.pem", "/etc/etagd/other.key"});
  });
  CHECK(added->pending_restart.empty());
  CHECK(added->listen[0].tls.certificates.size() == 2);
  auto moved = reloaded([](ListenerTls& t) { t.certificates[0].cert = "/etc/etagd/new.pem"; });
  CHECK(moved->pending_restart.empty());
  CHECK(moved->listen[0].tls.certificates[0].cert == "/etc/etagd/new.pem");
  auto tls13 = reloaded([](ListenerTls& t) { t.tls12 = false; });
  CHECK(tls13->pending_restart.empty());
  CHECK_FALSE(tls13->listen[0].tls.tls12);

  auto off = reloaded([](ListenerTls& t) { t.certificates.clear(); });
  REQUIRE(off->pending_restart.size() == 1);
  CHECK(off->pending_restart[0].key == "listen");
  CHECK(off->listen[0].tls == running->listen[0].tls);
  std::shared_ptr<Config> plain = must_load(kBase);
  std::shared_ptr<Config> on = must_load(kBase);
  on->listen[0].tls = running->listen[0].tls;
  keep_running_settings(*plain, *on);
  CHECK(on->pending_restart.size() == 1);
  CHECK_FALSE(on->listen[0].tls.enabled());
}

TEST_CASE("trusted_proxies, upstream.forwarded and key_cookies apply on reload") {
  auto running = must_load(kBase);
  std::string changed = kBase + "trusted_proxies: [10.0.0.0/8]\n"
                                "rules:\n  - match: { prefix: /api/ }\n    key_cookies: [sid]\n";
  changed.replace(changed.find("{ url: http://127.0.0.1:9000 }"), 30,
                  "{ url: http://127.0.0.1:9000, forwarded: rfc7239 }");
  CHECK(pending_keys(*running, changed).empty());
}

TEST_CASE("within a fleet block each setting is reported by its own key") {
  auto running = must_load(kBase + "fleet: { redis: 127.0.0.1:6379 }\n");
  CHECK(pending_keys(*running, kBase + "fleet: { redis: 127.0.0.1:6380, max_staleness: 5s }\n") ==
        std::vector<std::string>{"fleet.redis", "fleet.max_staleness"});
}

TEST_CASE("a block that stays switched off is not compared key by key") {
  auto running = must_load(kBase + "fleet: off\n");
  CHECK(pending_keys(*running, kBase + "fleet: off\n").empty());
}

TEST_CASE("a reloaded config keeps the running value of what needs a restart, and takes the rest") {
  auto running = must_load(kBase);
  std::shared_ptr<Config> loaded = must_load(R"(
listen: [127.0.0.1:8081]
upstream: { url: http://127.0.0.1:9000 }
workers: 4
limits: { max_connections: 100 }
cache: { max_memory: 128MiB, shards: 8 }
admin: { listen: 127.0.0.1:9091 }
timeouts: { upstream_read: 5s }
)");
  keep_running_settings(*running, *loaded);
  REQUIRE(loaded->listen.size() == 1);
  CHECK(loaded->listen[0].address.port == 8080);
  CHECK(loaded->workers == 2);
  CHECK(loaded->cache.max_memory == 64 * 1024 * 1024);
  CHECK(loaded->timeouts.upstream_read == std::chrono::seconds(5));
  REQUIRE(loaded->pending_restart.size() == 3);
  CHECK(loaded->pending_restart[0].key == "listen");
  CHECK(loaded->pending_restart[0].file_json == R"(["127.0.0.1:8081"])");
  CHECK(loaded->pending_restart[1].key == "workers");
  CHECK(loaded->pending_restart[1].file_json == "4");
  CHECK(loaded->pending_restart[2].key == "cache.max_memory");
  CHECK(loaded->pending_restart[2].file_json == R"("128MiB")");
}

TEST_CASE("a file reverted to the running values leaves nothing pending") {
  // Started on 8080, reloaded with 8081 (pending), then the file goes back to 8080.
  auto started = must_load(kBase);
  std::string moved = kBase;
  moved.replace(moved.find("127.0.0.1:8080"), 14, "127.0.0.1:8081");
  std::shared_ptr<Config> after_first = must_load(moved);
  keep_running_settings(*started, *after_first);
  REQUIRE(after_first->pending_restart.size() == 1);
  CHECK(pending_keys(*after_first, kBase).empty());
}

TEST_CASE("a block switched on by a reload stays off, with its switch pending") {
  auto running = must_load(kBase);
  std::shared_ptr<Config> loaded = must_load(kBase + "fleet: { redis: 127.0.0.1:6380 }\n");
  keep_running_settings(*running, *loaded);
  CHECK_FALSE(loaded->fleet.enabled);
  CHECK(loaded->fleet.redis_port == 6379);
  REQUIRE(loaded->pending_restart.size() == 1);
  CHECK(loaded->pending_restart[0].key == "fleet");
  CHECK(loaded->pending_restart[0].file_json == R"("on")");
}

TEST_CASE("/config shows the running value and lists the one waiting for a restart") {
  auto running = must_load(kBase);
  std::string moved = kBase;
  moved.replace(moved.find("127.0.0.1:8080"), 14, "127.0.0.1:8081");
  std::shared_ptr<Config> loaded = must_load(moved);
  keep_running_settings(*running, *loaded);
  std::string dump = dump_config(*loaded);
  CHECK(dump.find("\"listen\": [\n    \"127.0.0.1:8080\"\n  ]") != std::string::npos);
  // A JSON list like the running value's, not a string holding one.
  CHECK(dump.find(R"("pending_restart": {
    "listen": ["127.0.0.1:8081"]
  })") != std::string::npos);
  CHECK(dump_config(*running).find("\"pending_restart\": {}") != std::string::npos);
}

TEST_CASE("every setting that needs a restart can be carried over from the running config") {
  for (const SettingsBlock& b : settings_blocks()) {
    for (const Setting<Config>& s : b.settings) {
      INFO(b.path_of(s.name));
      CHECK(static_cast<bool>(s.copy));
    }
  }
}

}  // namespace
}  // namespace etagd::config
