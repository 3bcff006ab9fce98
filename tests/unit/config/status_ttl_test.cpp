// `ttl` per status: { 2xx: 60s, 404: 10s, other: 0s }. What each status gets, and the
// statuses that can never have a ttl because they are never stored.
#include <doctest/doctest.h>

#include <chrono>

#include "config/rule.h"
#include "load_helpers.h"

namespace etagd::config {
namespace {

using namespace std::chrono_literals;

const Ttl& rule_ttl(const LoadResult& r) { return r.config->rules.rules().at(0).actions.ttl; }

TEST_CASE("a code's ttl wins over its class's, and other covers the rest") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /api/ }
    ttl: { 2xx: 60s, 404: 10s, 4xx: 5s, other: 0s }
    key_headers: [Authorization]
)");
  INFO(test::printed(r));
  REQUIRE(r.ok());
  const Ttl& ttl = rule_ttl(r);
  CHECK(ttl.for_status(200) == TtlValue{false, 60s});
  CHECK(ttl.for_status(204) == TtlValue{false, 60s});
  CHECK(ttl.for_status(404) == TtlValue{false, 10s});
  CHECK(ttl.for_status(410) == TtlValue{false, 5s});
  CHECK(ttl.for_status(301) == TtlValue{false, 0s});
  CHECK_FALSE(ttl.any_from_origin());
}

TEST_CASE("statuses without an entry follow the origin unless other is given") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /api/ }
    ttl: { 2xx: 60s, 301: origin }
    key_headers: [Authorization]
)");
  REQUIRE(r.ok());
  const Ttl& ttl = rule_ttl(r);
  CHECK(ttl.for_status(200) == TtlValue{false, 60s});
  CHECK(ttl.for_status(301).from_origin);
  CHECK(ttl.for_status(404).from_origin);
  CHECK(ttl.any_from_origin());
}

TEST_CASE("a single ttl applies to every status, as before") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /api/ }
    ttl: 30s
    key_headers: [Authorization]
)");
  REQUIRE(r.ok());
  CHECK(rule_ttl(r).for_status(200) == TtlValue{false, 30s});
  CHECK(rule_ttl(r).for_status(404) == TtlValue{false, 30s});
}

TEST_CASE("server errors, 206 and 304 cannot have a ttl, and unknown keys are named") {
  for (auto [key, message] : {
           std::pair{"5xx", "server errors are never stored"},
           std::pair{"503", "server errors are never stored"},
           std::pair{"206", "the parts that range: forward stores take the ttl of 200"},
           std::pair{"304", "a 304 updates a stored response"},
           std::pair{"2XX0", "is not a status: expected 2xx, 3xx, 4xx"},
           std::pair{"199", "is not a status"},
       }) {
    CAPTURE(key);
    LoadResult r = test::load_with_minimal(std::string("rules:\n  - match: { prefix: /a/ }\n"
                                                       "    ttl: { ") +
                                           key + ": 10s }\n");
    CHECK_FALSE(r.ok());
    INFO(test::printed(r));
    CHECK(test::reports(r, std::string("test.yaml:5:12: error: rules[0].ttl.") + key));
    CHECK(test::reports(r, message));
  }
}

TEST_CASE("ignore_upstream_cache_control needs a fixed ttl for every status") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /a/ }
    ttl: { 2xx: 60s }
    key_headers: [Authorization]
    ignore_upstream_cache_control: true
)");
  CHECK_FALSE(r.ok());
  CHECK(test::reports(r, "ignore_upstream_cache_control needs a fixed ttl"));

  LoadResult every = test::load_with_minimal(R"(
rules:
  - match: { prefix: /a/ }
    ttl: { 2xx: 60s, other: 0s }
    key_headers: [Authorization]
    ignore_upstream_cache_control: true
)");
  INFO(test::printed(every));
  CHECK(every.ok());
}

}  // namespace
}  // namespace etagd::config
