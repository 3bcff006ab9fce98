#include <doctest/doctest.h>

#include <string>

#include "config/rule_set.h"

using etagd::config::glob_match;
using etagd::config::host_matches;

TEST_CASE("a glob without wildcards matches only the same path") {
  CHECK(glob_match("/api/items", "/api/items"));
  CHECK_FALSE(glob_match("/api/items", "/api/items/"));
  CHECK_FALSE(glob_match("/api/items", "/api/item"));
  CHECK_FALSE(glob_match("/api/items", "/API/items"));  // paths are case-sensitive
}

TEST_CASE("'*' matches within one path segment and never crosses '/'") {
  CHECK(glob_match("/api/*/export", "/api/reports/export"));
  CHECK(glob_match("/api/*/export", "/api/x/export"));
  CHECK(glob_match("/api/*/export", "/api//export"));  // an empty segment is still a segment
  CHECK_FALSE(glob_match("/api/*/export", "/api/a/b/export"));
  CHECK_FALSE(glob_match("/api/*/export", "/api/reports/export/more"));
  CHECK(glob_match("/files/*.json", "/files/data.json"));
  CHECK_FALSE(glob_match("/files/*.json", "/files/sub/data.json"));
  CHECK(glob_match("/files/report-*-final.pdf", "/files/report-2024-final.pdf"));
  CHECK(glob_match("/api/*", "/api/items"));
  CHECK(glob_match("/api/*", "/api/"));
  CHECK_FALSE(glob_match("/api/*", "/api/items/42"));
  CHECK_FALSE(glob_match("/api/*", "/api"));
}

TEST_CASE("'**' matches across path segments") {
  CHECK(glob_match("/static/**", "/static/a"));
  CHECK(glob_match("/static/**", "/static/a/b/c.css"));
  CHECK(glob_match("/static/**", "/static/"));
  CHECK_FALSE(glob_match("/static/**", "/static"));
  CHECK(glob_match("/**/export", "/api/v1/reports/export"));
  CHECK(glob_match("/**/export", "//export"));
  CHECK_FALSE(glob_match("/**/export", "/api/export/now"));
  CHECK(glob_match("/**.css", "/a/b/site.css"));
  CHECK(glob_match("/**", "/"));
}

TEST_CASE("'*' and '**' combine, with backtracking") {
  CHECK(glob_match("/**/v*/items", "/api/v1/items"));
  CHECK(glob_match("/**/v*/items", "/a/v/b/v2/items"));
  CHECK_FALSE(glob_match("/**/v*/items", "/a/v1/x/items"));
  CHECK(glob_match("/*/**/*.json", "/a/b/c/d.json"));
  CHECK(glob_match("/*/**/*.json", "/a//d.json"));
  CHECK_FALSE(glob_match("/*/**/*.json", "/a.json"));
  CHECK(glob_match("/a*b*c", "/aXbYbZc"));
  CHECK(glob_match("/a*b/c", "/axbxb/c"));
  CHECK_FALSE(glob_match("/a*b/c", "/axbx/c"));
}

TEST_CASE("glob matching stays fast on adversarial paths") {
  // Exponential backtracking would take minutes here; the greedy matcher takes microseconds.
  std::string path = "/" + std::string(2000, 'a');
  CHECK_FALSE(glob_match("/**a**a**a**a**a**a**a**b", path));
  CHECK_FALSE(glob_match("/*a*a*a*a*a*a*a*a*a*b", path));
  CHECK(glob_match("/**a**a**a**a**a", path));
}

TEST_CASE("an empty host pattern matches every host, including none") {
  CHECK(host_matches("", "api.example.com"));
  CHECK(host_matches("", ""));
}

TEST_CASE("host patterns compare without case and ignore one trailing dot") {
  CHECK(host_matches("api.example.com", "api.example.com"));
  CHECK(host_matches("api.example.com", "API.Example.COM"));
  CHECK(host_matches("api.example.com", "api.example.com."));
  CHECK_FALSE(host_matches("api.example.com", "www.example.com"));
  CHECK_FALSE(host_matches("api.example.com", "api.example.com.evil.net"));
  CHECK_FALSE(host_matches("api.example.com", ""));
}

TEST_CASE("a *.domain host pattern matches every name below the domain, not the domain") {
  CHECK(host_matches("*.example.com", "api.example.com"));
  CHECK(host_matches("*.example.com", "a.b.example.com"));
  CHECK(host_matches("*.example.com", "API.EXAMPLE.COM"));
  CHECK_FALSE(host_matches("*.example.com", "example.com"));
  CHECK_FALSE(host_matches("*.example.com", "notexample.com"));
  CHECK_FALSE(host_matches("*.example.com", ".example.com"));
  CHECK_FALSE(host_matches("*.example.com", ""));
}
