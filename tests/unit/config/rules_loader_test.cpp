// `defaults:` and `rules:` read into a RuleSet: every action, inheritance, matching order.
#include <doctest/doctest.h>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using namespace std::chrono_literals;
using http::Method;
using test::load_with_minimal;
using test::printed;

const Rule& only_rule(const LoadResult& r) {
  REQUIRE(r.ok());
  REQUIRE(r.config->rules.rules().size() == 1);
  return r.config->rules.rules()[0];
}

TEST_CASE("every rule action is read") {
  LoadResult r = load_with_minimal(R"(
rules:
  - name: api-reads
    match: { methods: [GET, HEAD], host: API.Example.com, prefix: /api/ }
    cache: validate
    ttl: 90s
    key_headers: [Authorization, Accept-Language]
    cache_control:
      2xx: "max-age=60, must-revalidate"
      3xx: "max-age=300"
      4xx: no-store
      5xx: "no-cache"
      other: "private"
    invalidate: [ /api/uploads/, $path, $parent ]
    headers:
      remove: [Server, X-Powered-By]
      set: { X-Frame-Options: DENY }
      add: { Vary: Accept }
    etag: generate
    range: forward
    stale_if_error: 5m
    stale_while_revalidate: 30s
)");
  INFO(printed(r));
  const Rule& rule = only_rule(r);
  CHECK(rule.name == "api-reads");
  CHECK(rule.line == 5);  // the raw string starts with a blank line
  CHECK(rule.match.methods == (http::method_bit(Method::Get) | http::method_bit(Method::Head)));
  CHECK(rule.match.host == "api.example.com");
  CHECK(rule.match.path_kind == PathMatchKind::Prefix);
  CHECK(rule.match.path == "/api/");

  const RuleActions& a = rule.actions;
  CHECK(a.cache == CacheMode::Validate);
  CHECK_FALSE(a.ttl.from_origin);
  CHECK(a.ttl.value == 90s);
  CHECK(a.key_headers == std::vector<std::string>{"authorization", "accept-language"});
  CHECK(a.cache_control.status_2xx == "max-age=60, must-revalidate");
  CHECK(a.cache_control.status_3xx == "max-age=300");
  CHECK(a.cache_control.status_4xx == "no-store");
  CHECK(a.cache_control.status_5xx == "no-cache");
  CHECK(a.cache_control.other == "private");
  REQUIRE(a.invalidate.size() == 3);
  CHECK(a.invalidate[0].kind == InvalidateTarget::Kind::Literal);
  CHECK(a.invalidate[0].value == "/api/uploads/");
  CHECK(a.invalidate[1].kind == InvalidateTarget::Kind::Path);
  CHECK(a.invalidate[2].kind == InvalidateTarget::Kind::Parent);
  CHECK(a.headers.remove == std::vector<std::string>{"Server", "X-Powered-By"});
  REQUIRE(a.headers.set.size() == 1);
  CHECK(a.headers.set[0] == std::pair<std::string, std::string>{"X-Frame-Options", "DENY"});
  REQUIRE(a.headers.add.size() == 1);
  CHECK(a.headers.add[0] == std::pair<std::string, std::string>{"Vary", "Accept"});
  CHECK(a.etag == EtagPolicy::Generate);
  CHECK(a.range == RangePolicy::Forward);
  CHECK(a.stale_if_error == 300s);
  CHECK(a.stale_while_revalidate == 30s);
}

TEST_CASE("a cache_control string applies to every status class") {
  LoadResult r = load_with_minimal(
      "rules:\n  - match: { prefix: / }\n    cache_control: \"no-cache, no-store, "
      "must-revalidate\"\n");
  INFO(printed(r));
  const CacheControlRewrite& cc = only_rule(r).actions.cache_control;
  for (int status : {200, 304, 301, 404, 503}) {
    CAPTURE(status);
    REQUIRE(cc.for_status(status) != nullptr);
    CHECK(*cc.for_status(status) == "no-cache, no-store, must-revalidate");
  }
}

TEST_CASE("ttl: origin follows the upstream's freshness") {
  LoadResult r = load_with_minimal(
      "defaults: { ttl: 60s }\nrules:\n  - match: { prefix: / }\n    ttl: origin\n");
  INFO(printed(r));
  CHECK(only_rule(r).actions.ttl.from_origin);
  CHECK_FALSE(r.config->rules.defaults().ttl.from_origin);
}

TEST_CASE("a rule inherits every action from defaults and overrides what it sets") {
  LoadResult r = load_with_minimal(R"(
defaults:
  cache: validate
  ttl: 10s
  key_headers: [Cookie]
  cache_control: "no-cache"
  invalidate: [ /all/ ]
  etag: generate
  stale_if_error: 1m
  stale_while_revalidate: 5s
rules:
  - name: inherits
    match: { path: /a }
  - name: overrides
    match: { path: /b }
    cache: store
    ttl: 60s
    key_headers: []
    cache_control: { 2xx: "max-age=60" }
    invalidate: $path
    etag: preserve
    stale_if_error: 0s
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  const RuleSet& set = r.config->rules;
  const RuleActions& d = set.defaults();
  CHECK(d.cache == CacheMode::Validate);
  CHECK(d.ttl.value == 10s);

  const RuleActions& a = set.rules()[0].actions;
  CHECK(a.cache == CacheMode::Validate);
  CHECK(a.ttl.value == 10s);
  CHECK(a.key_headers == std::vector<std::string>{"cookie"});
  CHECK(a.cache_control.other == "no-cache");
  REQUIRE(a.invalidate.size() == 1);
  CHECK(a.invalidate[0].value == "/all/");
  CHECK(a.etag == EtagPolicy::Generate);
  CHECK(a.stale_if_error == 60s);
  CHECK(a.stale_while_revalidate == 5s);

  const RuleActions& b = set.rules()[1].actions;
  CHECK(b.cache == CacheMode::Store);
  CHECK(b.ttl.value == 60s);
  CHECK(b.key_headers.empty());
  // cache_control is replaced whole: the 2xx slot is set and `other` is not inherited.
  CHECK(b.cache_control.status_2xx == "max-age=60");
  CHECK_FALSE(b.cache_control.other.has_value());
  REQUIRE(b.invalidate.size() == 1);
  CHECK(b.invalidate[0].kind == InvalidateTarget::Kind::Path);
  CHECK(b.etag == EtagPolicy::Preserve);
  CHECK(b.stale_if_error == 0s);
  CHECK(b.stale_while_revalidate == 5s);

  CHECK(set.match(Method::Get, "h", "/a").actions == &a);
  CHECK(set.match(Method::Get, "h", "/c").actions == &d);
}

TEST_CASE("header edits accumulate over the defaults, and a rule's own entry for a name wins") {
  LoadResult r = load_with_minimal(R"(
defaults:
  headers:
    remove: [Server, X-Powered-By]
    set: { X-Frame-Options: DENY, X-Team: core }
rules:
  - match: { prefix: /embed/ }
    headers:
      set: { X-Frame-Options: SAMEORIGIN }
      add: { Vary: Accept }
      remove: [X-Team]
)");
  INFO(printed(r));
  const HeaderEdits& h = only_rule(r).actions.headers;
  CHECK(h.remove == std::vector<std::string>{"Server", "X-Powered-By", "X-Team"});
  REQUIRE(h.set.size() == 1);
  CHECK(h.set[0] == std::pair<std::string, std::string>{"X-Frame-Options", "SAMEORIGIN"});
  REQUIRE(h.add.size() == 1);
  CHECK(h.add[0].first == "Vary");
  CHECK(r.config->rules.defaults().headers.set.size() == 2);
}

TEST_CASE("one rule may both set and add a header, and only inherited entries are replaced") {
  LoadResult r = load_with_minimal(R"(
defaults:
  headers: { add: { Link: "</a.css>; rel=preload" } }
rules:
  - match: { prefix: / }
    headers:
      set: { Link: "</b.css>; rel=preload" }
      add: { link: "</c.js>; rel=preload" }
)");
  INFO(printed(r));
  const HeaderEdits& h = only_rule(r).actions.headers;
  REQUIRE(h.set.size() == 1);
  CHECK(h.set[0].second == "</b.css>; rel=preload");
  REQUIRE(h.add.size() == 1);
  CHECK(h.add[0].second == "</c.js>; rel=preload");
}

TEST_CASE("an unnamed rule is called by its position") {
  LoadResult r = load_with_minimal("rules:\n  - match: { path: /a }\n  - match: { path: /b }\n");
  REQUIRE(r.ok());
  CHECK(r.config->rules.rules()[0].name == "rules[0]");
  CHECK(r.config->rules.rules()[1].name == "rules[1]");
  CHECK(r.config->rules.rules()[1].line == 5);
}

TEST_CASE("match forms from YAML: path, prefix, glob, host wildcard, lowercase methods") {
  LoadResult r = load_with_minimal(R"(
rules:
  - { name: exact, match: { path: /health } }
  - { name: export, match: { glob: "/api/*/export" } }
  - { name: writes, match: { methods: [post, PUT, patch, DELETE], prefix: /api/ } }
  - { name: tenants, match: { host: "*.Tenants.example.com" } }
  - { name: one-method, match: { methods: OPTIONS } }
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  const RuleSet& set = r.config->rules;
  CHECK(set.rules()[3].match.host == "*.tenants.example.com");
  CHECK(set.rules()[4].match.methods == http::method_bit(Method::Options));
  auto name = [&](Method m, std::string_view host, std::string_view path) {
    const Rule* rule = set.match(m, host, path).rule;
    return rule ? rule->name : std::string("defaults");
  };
  CHECK(name(Method::Get, "x", "/health") == "exact");
  CHECK(name(Method::Get, "x", "/api/reports/export") == "export");
  CHECK(name(Method::Post, "x", "/api/reports/export") == "export");
  CHECK(name(Method::Patch, "x", "/api/items/1") == "writes");
  CHECK(name(Method::Get, "x", "/api/items/1") == "defaults");
  CHECK(name(Method::Get, "acme.tenants.example.com", "/api/items/1") == "tenants");
  CHECK(name(Method::Options, "x", "/") == "one-method");
}

TEST_CASE("a rule shadowed by an earlier one is a warning that names both, not an error") {
  LoadResult r = load_with_minimal(R"(
rules:
  - name: all-api
    match: { prefix: /api/ }
  - name: uploads
    match: { methods: [POST], prefix: /api/uploads/ }
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].severity == Diagnostic::Severity::Warning);
  CHECK(r.diagnostics[0].to_string() ==
        "test.yaml:7:5: warning: rules[1]: never applies: 'all-api' (line 5) comes first and "
        "matches every request this rule matches; put the more specific rule first");
}

TEST_CASE("shadowing is reported for each covering form, and not when a filter narrows") {
  struct Case {
    const char* earlier;
    const char* later;
    bool shadowed;
  };
  const Case cases[] = {
      {"{ prefix: / }", "{ path: /x }", true},
      {"{ prefix: /api/ }", "{ glob: \"/api/*/export\" }", true},
      {"{ path: /x }", "{ path: /x }", true},
      {"{ glob: \"/a/*\" }", "{ glob: \"/a/*\" }", true},
      {"{ glob: \"/a/*\" }", "{ path: /a/b }", true},
      {"{ methods: [GET, HEAD] }", "{ methods: [HEAD], path: /x }", true},
      {"{ host: \"*.example.com\" }", "{ host: api.example.com, path: /x }", true},
      {"{ methods: [GET], prefix: / }", "{ path: /x }", false},
      {"{ host: api.example.com }", "{ path: /x }", false},
      {"{ prefix: /api/v1 }", "{ prefix: /api/ }", false},
      {"{ glob: \"/a/*\" }", "{ glob: \"/a/**\" }", false},
      {"{ path: /x }", "{ prefix: /x }", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.earlier);
    CAPTURE(c.later);
    LoadResult r = load_with_minimal(std::string("rules:\n  - match: ") + c.earlier +
                                     "\n  - match: " + c.later + "\n");
    INFO(printed(r));
    REQUIRE(r.ok());
    CHECK(test::count_warnings(r) == (c.shadowed ? 1u : 0u));
    if (c.shadowed) CHECK(test::reports(r, "test.yaml:5:5: warning: rules[1]: never applies"));
  }
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

TEST_CASE("ignore_upstream_cache_control is read and needs a fixed ttl") {
  LoadResult ok = test::load_with_minimal(R"(
rules:
  - match: { prefix: /legacy/ }
    ttl: 30s
    ignore_upstream_cache_control: true
)");
  REQUIRE(ok.ok());
  CHECK(ok.config->rules.rules()[0].actions.ignore_upstream_cache_control);
  CHECK_FALSE(ok.config->rules.defaults().ignore_upstream_cache_control);

  LoadResult origin = test::load_with_minimal(R"(
rules:
  - match: { prefix: /legacy/ }
    ignore_upstream_cache_control: true
)");
  CHECK_FALSE(origin.ok());
  CHECK(test::reports(origin, "test.yaml:6:36: error: rules[0].ignore_upstream_cache_control: "
                              "ignore_upstream_cache_control needs a fixed ttl"));

  LoadResult not_bool = test::load_with_minimal(R"(
rules:
  - match: { prefix: /legacy/ }
    ttl: 30s
    ignore_upstream_cache_control: maybe
)");
  CHECK_FALSE(not_bool.ok());
  CHECK(test::reports(not_bool, "rules[0].ignore_upstream_cache_control: expected on or off "
                                "(true or false), found 'maybe'"));
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

TEST_CASE("key_cookies is read with names kept as written, duplicates dropped") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /api/ }
    key_cookies: [sessionid, SID, sid, sessionid]
)");
  INFO(test::printed(r));
  REQUIRE(r.ok());
  // Cookie names are case-sensitive (RFC 6265 §4.1.1): SID and sid are two cookies.
  CHECK(r.config->rules.rules()[0].actions.key_cookies ==
        std::vector<std::string>{"sessionid", "SID", "sid"});
  CHECK(r.config->rules.defaults().key_cookies.empty());
}

TEST_CASE("key_cookies is inherited from defaults and replaced by a rule's own list") {
  LoadResult r = test::load_with_minimal(R"(
defaults:
  key_cookies: session
rules:
  - name: inherits
    match: { path: /a }
  - name: replaces
    match: { path: /b }
    key_cookies: [tenant]
  - name: clears
    match: { path: /c }
    key_cookies: []
)");
  INFO(test::printed(r));
  REQUIRE(r.ok());
  const std::vector<Rule>& rules = r.config->rules.rules();
  CHECK(r.config->rules.defaults().key_cookies == std::vector<std::string>{"session"});
  CHECK(rules[0].actions.key_cookies == std::vector<std::string>{"session"});
  CHECK(rules[1].actions.key_cookies == std::vector<std::string>{"tenant"});
  CHECK(rules[2].actions.key_cookies.empty());
}

TEST_CASE("a cookie name that is not a token is an error at its position") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /api/ }
    key_cookies: [sessionid, "my session", "a=b", "x;y"]
)");
  INFO(test::printed(r));
  CHECK_FALSE(r.ok());
  CHECK(test::reports(r, "test.yaml:6:30: error: rules[0].key_cookies[1]: 'my session' is not a "
                         "valid cookie name (RFC 6265 §4.1.1"));
  CHECK(test::reports(r, "rules[0].key_cookies[2]: 'a=b' is not a valid cookie name"));
  CHECK(test::reports(r, "rules[0].key_cookies[3]: 'x;y' is not a valid cookie name"));
  CHECK(test::count_errors(r) == 3);
}

}  // namespace
}  // namespace etagd::config
