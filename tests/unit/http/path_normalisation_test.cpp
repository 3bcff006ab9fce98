// Path normalisation before rule matching, keying and forwarding: which spellings name the
// same resource, and which are refused.
#include "http/path_normalisation.h"

#include <doctest/doctest.h>

#include <string>

using etagd::http::normalise_path;
using etagd::http::PathNormalisation;

namespace {

// The path as etagd uses it: the normal form, or "400" for a path that climbs above "/".
std::string normalised(std::string_view path) {
  std::string out = "untouched";
  switch (normalise_path(path, out)) {
    case PathNormalisation::Unchanged:
      CHECK(out == "untouched");
      return std::string(path);
    case PathNormalisation::Changed:
      CHECK(out != path);
      return out;
    case PathNormalisation::AboveRoot:
      return "400";
  }
  return "unreachable";
}

}  // namespace

TEST_CASE("dot segments are removed and slashes merged as nginx does before location matching") {
  struct Case {
    const char* path;
    const char* expected;
  };
  const Case cases[] = {
      {"/a/./b", "/a/b"},
      {"/a/../b", "/b"},
      {"/a//b", "/a/b"},
      {"//a", "/a"},
      {"/live/../api/private", "/api/private"},
      {"//api/private", "/api/private"},
      {"/a/b/c/./../../g", "/a/g"},  // RFC 3986 §5.2.4's own example
      {"/a/b/..", "/a/"},
      {"/a/b/../", "/a/"},
      {"/a/.", "/a/"},
      {"/a/./", "/a/"},
      {"/a/..", "/"},
      {"/.", "/"},
      {"//", "/"},
      {"/a//", "/a/"},
      {"/a///b////c", "/a/b/c"},
      {"/a/b/", "/a/b/"},
      {"/", "/"},
      {"/a/b", "/a/b"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    CHECK(normalised(c.path) == c.expected);
  }
}

TEST_CASE("percent-encoded dots are dot segments, since origins decode before resolving") {
  CHECK(normalised("/a/%2e%2e/b") == "/b");
  CHECK(normalised("/a/%2E%2E/b") == "/b");
  CHECK(normalised("/a/.%2e/b") == "/b");
  CHECK(normalised("/a/%2e./b") == "/b");
  CHECK(normalised("/a/%2e/b") == "/a/b");
  CHECK(normalised("/live/%2e%2e/api/x") == "/api/x");
}

TEST_CASE("names that only contain dots or encodings are left as they are") {
  CHECK(normalised("/a/.../b") == "/a/.../b");
  CHECK(normalised("/a/..b/c") == "/a/..b/c");
  CHECK(normalised("/a/.hidden") == "/a/.hidden");
  CHECK(normalised("/a%2eb") == "/a%2eb");
  CHECK(normalised("/a/%2e%2e%2e") == "/a/%2e%2e%2e");
  CHECK(normalised("/a/%252e%252e/b") == "/a/%252e%252e/b");  // decoded once, as origins do
  CHECK(normalised("/a%2Fb") == "/a%2Fb");  // an encoded slash is not a separator
  CHECK(normalised("/a/%2") == "/a/%2");
}

TEST_CASE("a path whose dot segments climb above the root is refused") {
  CHECK(normalised("/..") == "400");
  CHECK(normalised("/../etc") == "400");
  CHECK(normalised("/a/../../etc") == "400");
  CHECK(normalised("/%2e%2e/etc") == "400");
  CHECK(normalised("//../etc") == "400");
  CHECK(normalised("/a/b/../../..") == "400");
}

TEST_CASE("a climb that stays inside the tree is not refused, wherever it ends") {
  CHECK(normalised("/a/b/../../c") == "/c");
  CHECK(normalised("/a/../b/../c/") == "/c/");
}
