#include <doctest/doctest.h>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::load;
using test::printed;

std::shared_ptr<const Config> must_load(const std::string& yaml) {
  LoadResult r = load(yaml);
  INFO(printed(r));
  REQUIRE(r.ok());
  return r.config;
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
  auto loaded = must_load(kBase + R"(
timeouts: { upstream_read: 5s }
log: { level: debug }
rules:
  - match: { prefix: /api/ }
    cache_control: no-store
)");
  CHECK(restart_required_changes(*running, *loaded).empty());
  CHECK(restart_required_changes(*running, *must_load(kBase)).empty());
}

TEST_CASE("each setting fixed at start-up is reported, one line each") {
  auto running = must_load(kBase);
  auto changed = must_load(R"(
listen: [127.0.0.1:8081]
upstream: { url: http://127.0.0.1:9000 }
workers: 4
limits: { max_connections: 200 }
cache: { max_memory: 128MiB, shards: 16 }
admin: { listen: 127.0.0.1:9092 }
fleet: { redis: 127.0.0.1:6379 }
)");
  std::vector<std::string> lines = restart_required_changes(*running, *changed);
  CHECK(lines == std::vector<std::string>{
                     "listen: changed (restart etagd to apply)",
                     "workers: changed (restart etagd to apply)",
                     "limits.max_connections: changed (restart etagd to apply)",
                     "cache.max_memory: changed (restart etagd to apply)",
                     "cache.shards: changed (restart etagd to apply)",
                     "admin.listen: changed (restart etagd to apply)",
                     "fleet: changed (restart etagd to apply)",
                 });
}

TEST_CASE("adding a listen address or switching admin off needs a restart") {
  auto running = must_load(kBase);
  std::string more = kBase;
  more.replace(more.find("[127.0.0.1:8080]"), 16, "[127.0.0.1:8080, \"[::1]:8080\"]");
  CHECK(restart_required_changes(*running, *must_load(more)) ==
        std::vector<std::string>{"listen: changed (restart etagd to apply)"});

  std::string no_admin = kBase;
  no_admin.replace(no_admin.find("{ listen: 127.0.0.1:9091 }"), 26, "off");
  CHECK(restart_required_changes(*running, *must_load(no_admin)) ==
        std::vector<std::string>{"admin: changed (restart etagd to apply)"});
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

TEST_CASE("trusted_proxies, upstream.forwarded and key_cookies apply on reload") {
  auto running = must_load(kBase);
  std::string changed = kBase + "trusted_proxies: [10.0.0.0/8]\n"
                                "rules:\n  - match: { prefix: /api/ }\n    key_cookies: [sid]\n";
  changed.replace(changed.find("{ url: http://127.0.0.1:9000 }"), 30,
                  "{ url: http://127.0.0.1:9000, forwarded: rfc7239 }");
  CHECK(restart_required_changes(*running, *must_load(changed)).empty());
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

TEST_CASE("within a fleet block each setting is reported by its own key") {
  auto running = must_load(kBase + "fleet: { redis: 127.0.0.1:6379 }\n");
  auto loaded = must_load(kBase + "fleet: { redis: 127.0.0.1:6380, max_staleness: 5s }\n");
  CHECK(restart_required_changes(*running, *loaded) ==
        std::vector<std::string>{"fleet.redis: changed (restart etagd to apply)",
                                 "fleet.max_staleness: changed (restart etagd to apply)"});
}

TEST_CASE("a block that stays switched off is not compared key by key") {
  auto running = must_load(kBase + "fleet: off\n");
  CHECK(restart_required_changes(*running, *must_load(kBase + "fleet: off\n")).empty());
}

}  // namespace
}  // namespace etagd::config
