#include "config/rule_set.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace etagd::config {
namespace {

using http::Method;

Rule make_rule(std::string name, PathMatchKind kind, std::string path, uint32_t methods = 0,
               std::string host = "") {
  Rule r;
  r.name = std::move(name);
  r.match.path_kind = kind;
  r.match.path = std::move(path);
  r.match.methods = methods;
  r.match.host = std::move(host);
  return r;
}

uint32_t bits(std::initializer_list<Method> methods) {
  uint32_t b = 0;
  for (Method m : methods) b |= http::method_bit(m);
  return b;
}

// Name of the rule that applies, or "defaults".
std::string winner(const RuleSet& set, Method m, std::string_view host, std::string_view path) {
  RuleMatchResult r = set.match(m, host, path);
  REQUIRE(r.actions != nullptr);
  if (r.rule == nullptr) {
    CHECK(r.actions == &set.defaults());
    return "defaults";
  }
  CHECK(r.actions == &r.rule->actions);
  return r.rule->name;
}

TEST_CASE("with no rules the defaults apply to every request") {
  RuleActions defaults;
  defaults.cache = CacheMode::Validate;
  RuleSet set(defaults, {});
  RuleMatchResult r = set.match(Method::Get, "example.com", "/anything");
  CHECK(r.rule == nullptr);
  REQUIRE(r.actions != nullptr);
  CHECK(r.actions->cache == CacheMode::Validate);

  RuleSet empty;
  CHECK(empty.match(Method::Post, "", "/").actions == &empty.defaults());
}

TEST_CASE("the first matching rule wins, whatever kind of path match each uses") {
  std::vector<Rule> rules;
  rules.push_back(make_rule("glob", PathMatchKind::Glob, "/api/*/export"));
  rules.push_back(make_rule("prefix", PathMatchKind::Prefix, "/api/"));
  rules.push_back(make_rule("exact", PathMatchKind::Exact, "/api/items"));
  rules.push_back(make_rule("any", PathMatchKind::Any, ""));
  RuleSet set(RuleActions{}, std::move(rules));

  CHECK(winner(set, Method::Get, "h", "/api/reports/export") == "glob");
  CHECK(winner(set, Method::Get, "h", "/api/items") == "prefix");  // exact comes later
  CHECK(winner(set, Method::Get, "h", "/api/") == "prefix");
  CHECK(winner(set, Method::Get, "h", "/other") == "any");
}

TEST_CASE("an exact rule placed before a prefix rule wins for its path only") {
  std::vector<Rule> rules;
  rules.push_back(make_rule("exact", PathMatchKind::Exact, "/api/items"));
  rules.push_back(make_rule("prefix", PathMatchKind::Prefix, "/api/"));
  RuleSet set(RuleActions{}, std::move(rules));
  CHECK(winner(set, Method::Get, "h", "/api/items") == "exact");
  CHECK(winner(set, Method::Get, "h", "/api/items/1") == "prefix");
  CHECK(winner(set, Method::Get, "h", "/api/item") == "prefix");
  CHECK(winner(set, Method::Get, "h", "/api") == "defaults");
}

TEST_CASE("of nested prefixes the earlier rule wins, not the longer prefix") {
  std::vector<Rule> rules;
  rules.push_back(make_rule("short", PathMatchKind::Prefix, "/api/", bits({Method::Post})));
  rules.push_back(make_rule("long", PathMatchKind::Prefix, "/api/uploads/"));
  rules.push_back(make_rule("shorter", PathMatchKind::Prefix, "/a"));
  RuleSet set(RuleActions{}, std::move(rules));
  CHECK(winner(set, Method::Post, "h", "/api/uploads/1") == "short");
  CHECK(winner(set, Method::Get, "h", "/api/uploads/1") == "long");
  CHECK(winner(set, Method::Get, "h", "/api/other") == "shorter");
  CHECK(winner(set, Method::Get, "h", "/about") == "shorter");
  CHECK(winner(set, Method::Get, "h", "/") == "defaults");
  CHECK(winner(set, Method::Get, "h", "") == "defaults");
}

TEST_CASE("a prefix is a string prefix, not a segment prefix") {
  // `prefix: /api` also covers /apix: operators who mean the directory write /api/.
  std::vector<Rule> rules;
  rules.push_back(make_rule("api", PathMatchKind::Prefix, "/api"));
  RuleSet set(RuleActions{}, std::move(rules));
  CHECK(winner(set, Method::Get, "h", "/api") == "api");
  CHECK(winner(set, Method::Get, "h", "/apix") == "api");
  CHECK(winner(set, Method::Get, "h", "/ap") == "defaults");
}

TEST_CASE("exact paths match whole paths only and are case-sensitive") {
  std::vector<Rule> rules;
  rules.push_back(make_rule("health", PathMatchKind::Exact, "/health"));
  RuleSet set(RuleActions{}, std::move(rules));
  CHECK(winner(set, Method::Get, "h", "/health") == "health");
  CHECK(winner(set, Method::Get, "h", "/health/") == "defaults");
  CHECK(winner(set, Method::Get, "h", "/healt") == "defaults");
  CHECK(winner(set, Method::Get, "h", "/Health") == "defaults");
}

TEST_CASE("a glob written as literal plus ** behaves as a prefix, in order") {
  std::vector<Rule> rules;
  rules.push_back(make_rule("static-css", PathMatchKind::Glob, "/static/**.css"));
  rules.push_back(make_rule("static", PathMatchKind::Glob, "/static/**"));
  rules.push_back(make_rule("literal-glob", PathMatchKind::Glob, "/robots.txt"));
  RuleSet set(RuleActions{}, std::move(rules));
  CHECK(winner(set, Method::Get, "h", "/static/a/site.css") == "static-css");
  CHECK(winner(set, Method::Get, "h", "/static/a/site.js") == "static");
  CHECK(winner(set, Method::Get, "h", "/static") == "defaults");
  CHECK(winner(set, Method::Get, "h", "/robots.txt") == "literal-glob");
}

TEST_CASE("a rule's methods filter applies before its path") {
  std::vector<Rule> rules;
  rules.push_back(
      make_rule("reads", PathMatchKind::Prefix, "/api/", bits({Method::Get, Method::Head})));
  rules.push_back(make_rule("writes", PathMatchKind::Prefix, "/api/",
                            bits({Method::Post, Method::Put, Method::Patch, Method::Delete})));
  RuleSet set(RuleActions{}, std::move(rules));
  CHECK(winner(set, Method::Get, "h", "/api/x") == "reads");
  CHECK(winner(set, Method::Head, "h", "/api/x") == "reads");
  CHECK(winner(set, Method::Post, "h", "/api/x") == "writes");
  CHECK(winner(set, Method::Delete, "h", "/api/x") == "writes");
  CHECK(winner(set, Method::Options, "h", "/api/x") == "defaults");
  CHECK(winner(set, Method::Other, "h", "/api/x") == "defaults");
}

TEST_CASE("a rule without methods matches unknown methods too") {
  std::vector<Rule> rules;
  rules.push_back(make_rule("all", PathMatchKind::Any, ""));
  RuleSet set(RuleActions{}, std::move(rules));
  CHECK(winner(set, Method::Other, "h", "/x") == "all");
  CHECK(winner(set, Method::Connect, "h", "*") == "all");  // path-less rules match any target
}

TEST_CASE("a rule's host filter compares without case and supports *.domain") {
  std::vector<Rule> rules;
  rules.push_back(make_rule("api", PathMatchKind::Prefix, "/", 0, "api.example.com"));
  rules.push_back(make_rule("tenants", PathMatchKind::Prefix, "/", 0, "*.tenants.example.com"));
  rules.push_back(make_rule("other", PathMatchKind::Exact, "/x"));
  RuleSet set(RuleActions{}, std::move(rules));
  CHECK(winner(set, Method::Get, "API.example.com", "/x") == "api");
  CHECK(winner(set, Method::Get, "acme.tenants.example.com", "/x") == "tenants");
  CHECK(winner(set, Method::Get, "tenants.example.com", "/x") == "other");
  CHECK(winner(set, Method::Get, "", "/x") == "other");
  CHECK(winner(set, Method::Get, "www.example.com", "/y") == "defaults");
}

TEST_CASE("several rules on one exact path are tried in order with their filters") {
  std::vector<Rule> rules;
  rules.push_back(make_rule("get-a", PathMatchKind::Exact, "/p", bits({Method::Get}), "a.test"));
  rules.push_back(make_rule("get", PathMatchKind::Exact, "/p", bits({Method::Get})));
  rules.push_back(make_rule("any", PathMatchKind::Exact, "/p"));
  RuleSet set(RuleActions{}, std::move(rules));
  CHECK(winner(set, Method::Get, "a.test", "/p") == "get-a");
  CHECK(winner(set, Method::Get, "b.test", "/p") == "get");
  CHECK(winner(set, Method::Put, "a.test", "/p") == "any");
}

TEST_CASE("a moved RuleSet keeps matching") {
  std::vector<Rule> rules;
  rules.push_back(make_rule("exact", PathMatchKind::Exact, "/a"));
  rules.push_back(make_rule("prefix", PathMatchKind::Prefix, "/b/"));
  RuleSet first(RuleActions{}, std::move(rules));
  RuleSet second(std::move(first));
  RuleSet third;
  third = std::move(second);
  CHECK(winner(third, Method::Get, "h", "/a") == "exact");
  CHECK(winner(third, Method::Get, "h", "/b/c") == "prefix");
  CHECK(third.rules().size() == 2);
}

// The reference answer: try every rule in order.
std::string linear_winner(const std::vector<Rule>& rules, Method m, std::string_view host,
                          std::string_view path) {
  for (const Rule& r : rules) {
    const RuleMatch& rm = r.match;
    if (rm.methods != 0 && (rm.methods & http::method_bit(m)) == 0) continue;
    if (!host_matches(rm.host, host)) continue;
    bool path_ok = false;
    switch (rm.path_kind) {
      case PathMatchKind::Any:
        path_ok = true;
        break;
      case PathMatchKind::Exact:
        path_ok = path == rm.path;
        break;
      case PathMatchKind::Prefix:
        path_ok = path.starts_with(rm.path);
        break;
      case PathMatchKind::Glob:
        path_ok = glob_match(rm.path, path);
        break;
    }
    if (path_ok) return r.name;
  }
  return "defaults";
}

TEST_CASE("a set of 1000 rules of every kind agrees with trying each rule in order") {
  std::vector<Rule> rules;
  const Method kMethods[] = {Method::Get, Method::Post, Method::Put, Method::Delete};
  for (int i = 0; i < 1000; ++i) {
    std::string n = std::to_string(i % 250);
    std::string name = "r" + std::to_string(i);
    uint32_t methods = i % 3 == 0 ? 0 : http::method_bit(kMethods[i % 4]);
    std::string host =
        i % 7 == 0 ? "h" + std::to_string(i % 5) + ".test" : (i % 11 == 0 ? "*.test" : "");
    switch (i % 4) {
      case 0:
        rules.push_back(make_rule(name, PathMatchKind::Exact, "/api/v1/r" + n, methods, host));
        break;
      case 1:
        rules.push_back(make_rule(name, PathMatchKind::Prefix, "/api/v1/r" + n, methods, host));
        break;
      case 2:
        rules.push_back(make_rule(name, PathMatchKind::Glob, "/api/*/r" + n + "/*", methods, host));
        break;
      default:
        rules.push_back(make_rule(name, i % 40 == 3 ? PathMatchKind::Any : PathMatchKind::Prefix,
                                  i % 40 == 3 ? "" : "/static/" + n + "/", methods, host));
        break;
    }
  }
  std::vector<Rule> reference = rules;
  RuleSet set(RuleActions{}, std::move(rules));

  int checked = 0, matched = 0;
  const char* hosts[] = {"", "h0.test", "H3.TEST", "x.test", "example.com"};
  for (int n = 0; n < 260; n += 3) {
    std::string s = std::to_string(n);
    for (std::string path : {"/api/v1/r" + s, "/api/v1/r" + s + "/x", "/api/v2/r" + s + "/y",
                             "/static/" + s + "/app.js", "/nothing/" + s, std::string("/")}) {
      for (Method m : {Method::Get, Method::Post, Method::Put, Method::Delete, Method::Head}) {
        for (const char* host : hosts) {
          std::string expected = linear_winner(reference, m, host, path);
          CAPTURE(path);
          CAPTURE(host);
          REQUIRE(winner(set, m, host, path) == expected);
          ++checked;
          matched += expected != "defaults";
        }
      }
    }
  }
  CHECK(checked > 10'000);
  CHECK(matched > checked / 4);  // the sample exercises real matches, not only misses
}

TEST_CASE("a 304 takes the 2xx Cache-Control, since it stands for the 200") {
  CacheControlRewrite cc;
  cc.status_2xx = "max-age=60";
  cc.status_4xx = "no-store";
  REQUIRE(cc.for_status(200) != nullptr);
  CHECK(*cc.for_status(200) == "max-age=60");
  CHECK(*cc.for_status(204) == "max-age=60");
  CHECK(*cc.for_status(304) == "max-age=60");
  CHECK(*cc.for_status(404) == "no-store");
  CHECK(cc.for_status(301) == nullptr);  // no 3xx slot and no `other`: leave it alone
  CHECK(cc.for_status(500) == nullptr);
}

TEST_CASE("statuses without their own Cache-Control slot take `other`") {
  CacheControlRewrite cc;
  CHECK(cc.empty());
  CHECK(cc.for_status(200) == nullptr);
  cc.other = "no-cache";
  cc.status_5xx = "no-store";
  CHECK_FALSE(cc.empty());
  CHECK(*cc.for_status(200) == "no-cache");
  CHECK(*cc.for_status(302) == "no-cache");
  CHECK(*cc.for_status(503) == "no-store");
  CHECK(*cc.for_status(101) == "no-cache");
  CHECK(*cc.for_status(600) == "no-cache");
}

TEST_CASE("match_covers: methods, host and path must all be covered") {
  RuleMatch any;
  RuleMatch api_prefix{0, "", PathMatchKind::Prefix, "/api/"};
  RuleMatch items_exact{bits({Method::Get}), "", PathMatchKind::Exact, "/api/items"};
  RuleMatch export_glob{0, "", PathMatchKind::Glob, "/api/*/export"};
  CHECK(match_covers(any, items_exact));
  CHECK(match_covers(api_prefix, items_exact));
  CHECK(match_covers(api_prefix, export_glob));
  CHECK(match_covers(api_prefix, RuleMatch{0, "", PathMatchKind::Prefix, "/api/v2/"}));
  CHECK_FALSE(match_covers(api_prefix, any));
  CHECK_FALSE(match_covers(items_exact, api_prefix));
  CHECK_FALSE(match_covers(RuleMatch{0, "", PathMatchKind::Prefix, "/api/v"}, export_glob));

  RuleMatch get_only{bits({Method::Get}), "", PathMatchKind::Any, ""};
  CHECK_FALSE(match_covers(
      get_only, RuleMatch{bits({Method::Get, Method::Head}), "", PathMatchKind::Any, ""}));
  CHECK_FALSE(match_covers(get_only, any));
  CHECK(match_covers(RuleMatch{bits({Method::Get, Method::Head}), "", PathMatchKind::Any, ""},
                     get_only));

  RuleMatch wildcard{0, "*.example.com", PathMatchKind::Any, ""};
  CHECK(match_covers(wildcard, RuleMatch{0, "api.example.com", PathMatchKind::Any, ""}));
  CHECK(match_covers(wildcard, RuleMatch{0, "*.eu.example.com", PathMatchKind::Any, ""}));
  CHECK_FALSE(match_covers(wildcard, RuleMatch{0, "example.com", PathMatchKind::Any, ""}));
  CHECK_FALSE(match_covers(wildcard, any));
  CHECK_FALSE(match_covers(RuleMatch{0, "api.example.com", PathMatchKind::Any, ""}, wildcard));

  CHECK(match_covers(export_glob, RuleMatch{0, "", PathMatchKind::Glob, "/api/*/export"}));
  CHECK(match_covers(export_glob, RuleMatch{0, "", PathMatchKind::Exact, "/api/r/export"}));
  CHECK_FALSE(match_covers(export_glob, RuleMatch{0, "", PathMatchKind::Glob, "/api/**/export"}));
  CHECK(match_covers(RuleMatch{0, "", PathMatchKind::Glob, "/static/**"},
                     RuleMatch{0, "", PathMatchKind::Prefix, "/static/img/"}));
}

}  // namespace
}  // namespace etagd::config
