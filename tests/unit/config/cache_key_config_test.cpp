// The cache_key action: how a rule normalises the query for the cache key.
#include <doctest/doctest.h>

#include "config/rule.h"
#include "load_helpers.h"

namespace etagd::config {
namespace {

const CacheKeyActions& rule_key(const LoadResult& r) {
  return r.config->rules.rules().at(0).actions.cache_key;
}

TEST_CASE("cache_key.query reads sort, ignore patterns and forward") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /api/ }
    cache_key:
      query: { sort: true, ignore: ["utm_*", fbclid, gclid], forward: normalised }
)");
  INFO(test::printed(r));
  REQUIRE(r.ok());
  const CacheKeyActions& k = rule_key(r);
  CHECK(k.query.sort);
  CHECK(k.query.ignore == std::vector<std::string>{"utm_*", "fbclid", "gclid"});
  CHECK(k.query.keep.empty());
  CHECK(k.forward_normalised);
}

TEST_CASE("by default the key is the URL as sent and the query is forwarded as sent") {
  LoadResult r = test::load_with_minimal("rules:\n  - match: { prefix: /a/ }\n");
  REQUIRE(r.ok());
  CHECK(rule_key(r).query.empty());
  CHECK_FALSE(rule_key(r).forward_normalised);
  LoadResult sorted =
      test::load_with_minimal("rules:\n  - match: { prefix: /a/ }\n"
                              "    cache_key: { query: { sort: on } }\n");
  REQUIRE(sorted.ok());
  CHECK_FALSE(rule_key(sorted).forward_normalised);
}

TEST_CASE("keep and ignore together are refused at the line of keep") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /a/ }
    cache_key:
      query: { ignore: [utm_source], keep: [page] }
)");
  CHECK_FALSE(r.ok());
  INFO(test::printed(r));
  CHECK(test::reports(r, "test.yaml:7:44: error: rules[0].cache_key.query.keep: give either keep"));
}

TEST_CASE("a misspelt cache_key key or forward word is reported with a suggestion") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /a/ }
    cache_key: { query: { srot: on, forward: normalized } }
)");
  CHECK_FALSE(r.ok());
  INFO(test::printed(r));
  CHECK(test::reports(r, "srot"));
  CHECK(test::reports(r, "normalized"));
}

TEST_CASE("cache_key on a rule that stores nothing is warned about") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /a/ }
    cache: bypass
    cache_key: { query: { sort: on } }
)");
  REQUIRE(r.ok());
  CHECK(test::reports(r, "warning: rules[0].cache_key: has no effect: cache: bypass"));
}

}  // namespace
}  // namespace etagd::config
