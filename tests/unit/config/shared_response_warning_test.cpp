// The warning about rules that would hand one user's stored response to another: a `store`
// rule whose fixed ttl overrides the upstream's Cache-Control, keyed on no credential.
#include <doctest/doctest.h>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::load_with_minimal;
using test::printed;
using test::reports;

constexpr std::string_view kShared = "responses for different users would be shared";

bool warns_shared(const LoadResult& r) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.severity == Diagnostic::Severity::Warning &&
        d.message.find(kShared) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST_CASE("a store rule with a fixed ttl and no credential in its key is warned about") {
  LoadResult r = load_with_minimal(R"(
rules:
  - name: api
    match: { prefix: /api/ }
    ttl: 60s
)");
  INFO(printed(r));
  CHECK(r.ok());  // a warning, not an error
  CHECK(reports(r, "test.yaml:7:10: warning: rules[0].ttl: responses for different users would "
                   "be shared: this rule stores responses for a fixed ttl (60s), which overrides "
                   "the upstream's Cache-Control, and its cache key includes neither "
                   "Authorization nor Cookie"));
  // ...and it says how to fix it.
  CHECK(reports(r, "key_headers: [Authorization]"));
  CHECK(reports(r, "key_cookies: [the session cookie's name]"));
  CHECK(reports(r, "cache_control: { 2xx: \"public, ...\" }"));
}

TEST_CASE("the warning says when ignore_upstream_cache_control keeps even private responses") {
  LoadResult r = load_with_minimal(R"(
rules:
  - match: { prefix: /legacy/ }
    ttl: 5m
    ignore_upstream_cache_control: true
)");
  INFO(printed(r));
  CHECK(r.ok());
  CHECK(reports(r, "warning: rules[0].ttl: responses for different users would be shared: this "
                   "rule stores responses for a fixed ttl (300s) with "
                   "ignore_upstream_cache_control, so even the upstream's private and no-store "
                   "responses are kept"));
}

TEST_CASE("keying on Authorization, on Cookie or on named cookies silences the warning") {
  for (const char* key : {"key_headers: [Authorization]", "key_headers: [cookie]",
                          "key_cookies: [sessionid]"}) {
    CAPTURE(key);
    LoadResult r = load_with_minimal(std::string("rules:\n  - match: { prefix: /api/ }\n"
                                                 "    ttl: 60s\n    ") +
                                     key + "\n");
    INFO(printed(r));
    REQUIRE(r.ok());
    CHECK_FALSE(warns_shared(r));
  }
}

TEST_CASE("a rule that tells clients its responses are public is not warned about") {
  LoadResult r = load_with_minimal(R"(
rules:
  - match: { prefix: /assets/ }
    ttl: 1h
    cache_control: { 2xx: "public, max-age=3600" }
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK_FALSE(warns_shared(r));
}

TEST_CASE("ttl origin, validate and bypass rules share nothing the upstream did not allow") {
  for (const char* actions : {"ttl: origin", "cache: validate", "cache: bypass\n    ttl: 60s"}) {
    CAPTURE(actions);
    LoadResult r = load_with_minimal(std::string("rules:\n  - match: { prefix: /api/ }\n    ") +
                                     actions + "\n");
    INFO(printed(r));
    REQUIRE(r.ok());
    CHECK_FALSE(warns_shared(r));
  }
}

TEST_CASE("defaults with a fixed ttl are warned about once, not again for every rule inheriting") {
  LoadResult r = load_with_minimal(R"(
defaults:
  ttl: 60s
rules:
  - match: { path: /a }
  - match: { path: /b }
    etag: generate
  - match: { path: /c }
    key_headers: [Accept-Language]
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(reports(r, "test.yaml:5:8: warning: defaults.ttl: responses for different users"));
  // /c sets its own key and still keys on no credential.
  CHECK(reports(r, "test.yaml:10:5: warning: rules[2]: responses for different users"));
  CHECK(test::count_warnings(r) == 2);
}

TEST_CASE("a credential key in defaults covers the rules that inherit it") {
  LoadResult r = load_with_minimal(R"(
defaults:
  key_headers: [Authorization]
rules:
  - match: { prefix: /api/ }
    ttl: 60s
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK_FALSE(warns_shared(r));
}

}  // namespace
}  // namespace etagd::config
