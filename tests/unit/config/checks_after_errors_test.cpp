// After an error in a key, the key holds its default. A check across several keys then stays
// silent rather than warn about (or refuse) a value the file does not give, and a rule with an
// error gets that error alone.
#include <doctest/doctest.h>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::count_errors;
using test::count_warnings;
using test::load;
using test::load_with_minimal;
using test::printed;
using test::reports;

TEST_CASE("an object limit that is not a size gets its error and no warning about the limit") {
  LoadResult r =
      load_with_minimal("cache: { max_memory: 16MiB, shards: 16, max_object_size: 1.5MiB }\n");
  INFO(printed(r));
  CHECK(reports(r, "test.yaml:3:58: error: cache.max_object_size: '1.5MiB' is not a size"));
  CHECK(count_errors(r) == 1);
  CHECK(count_warnings(r) == 0);
}

TEST_CASE("a cache size or shard count in error is not compared with the object limit") {
  // max_memory left at its default (256MiB / 16 shards = 16MiB) would be quoted as given.
  LoadResult memory = load_with_minimal("cache: { max_memory: 1.5GiB, max_object_size: 32MiB }\n");
  INFO(printed(memory));
  CHECK(reports(memory, "error: cache.max_memory: '1.5GiB' is not a size"));
  CHECK(count_warnings(memory) == 0);

  // shards left at 16 would be the count the warning divides by.
  LoadResult shards =
      load_with_minimal("cache: { max_memory: 16MiB, shards: 3, max_object_size: 2MiB }\n");
  INFO(printed(shards));
  CHECK(reports(shards, "error: cache.shards: 3 is not a power of two"));
  CHECK(count_warnings(shards) == 0);
}

TEST_CASE("a reconnect back-off in error is not compared with the other") {
  // reconnect_max left at its default is shorter than the 40s given for reconnect_min.
  LoadResult r =
      load_with_minimal("fleet: { redis: 127.0.0.1, reconnect_min: 40s, reconnect_max: 1x }\n");
  INFO(printed(r));
  CHECK(reports(r, "error: fleet.reconnect_max: '1x' is not a duration"));
  CHECK(count_errors(r) == 1);
  CHECK_FALSE(reports(r, "must not be shorter"));
}

TEST_CASE("a health check interval in error is not compared with the timeout") {
  // The default interval, 2s, is shorter than the 3s timeout given.
  LoadResult r = load("listen: 127.0.0.1:8080\n"
                      "upstream: { url: http://127.0.0.1:9000,\n"
                      "            health_check: { path: /h, interval: 5x, timeout: 3s } }\n");
  INFO(printed(r));
  CHECK(reports(r, "error: upstream.health_check.interval: '5x' is not a duration"));
  CHECK(count_errors(r) == 1);
  CHECK_FALSE(reports(r, "must not be longer than the interval"));
}

TEST_CASE("an invalid rule gets its error and no warning about its other actions") {
  // Left at store, the rule would be warned about as sharing responses between users.
  LoadResult r = load_with_minimal(
      "rules:\n  - match: { prefix: /a/ }\n    cache: off\n    ttl: 60s\n");
  INFO(printed(r));
  CHECK(reports(r, "test.yaml:5:12: error: rules[0].cache:"));
  CHECK(count_warnings(r) == 0);

  // The ttl error leaves nothing to say about what bypass does with a ttl.
  r = load_with_minimal("rules:\n  - match: { prefix: /a/ }\n    cache: bypass\n    ttl: 6Os\n");
  INFO(printed(r));
  CHECK(reports(r, "error: rules[0].ttl:"));
  CHECK(count_warnings(r) == 0);
}

TEST_CASE("an invalid rule is not reported as never applying behind an earlier one") {
  LoadResult r = load_with_minimal(
      "rules:\n"
      "  - match: { prefix: / }\n"
      "    cache: store\n"
      "  - match: { prefix: /a/ }\n"
      "    cache: no\n");
  INFO(printed(r));
  CHECK(reports(r, "error: rules[1].cache:"));
  CHECK_FALSE(reports(r, "never applies"));
}

TEST_CASE("a ttl in error is not refused again as the fixed ttl ignore_upstream_cache_control needs") {
  LoadResult r = load_with_minimal(
      "rules:\n"
      "  - match: { prefix: /a/ }\n"
      "    ttl: 6Os\n"
      "    ignore_upstream_cache_control: on\n"
      "    key_headers: [Authorization]\n");
  INFO(printed(r));
  CHECK(reports(r, "error: rules[0].ttl:"));
  CHECK(count_errors(r) == 1);
}

TEST_CASE("invalid defaults silence the warnings of the rules built on them") {
  LoadResult r = load_with_minimal(
      "defaults: { cache: off, ttl: 60s }\n"
      "rules:\n"
      "  - match: { prefix: /a/ }\n"
      "    ttl: 30s\n");
  INFO(printed(r));
  CHECK(reports(r, "error: defaults.cache:"));
  CHECK(count_errors(r) == 1);
  CHECK(count_warnings(r) == 0);
}

}  // namespace
}  // namespace etagd::config
