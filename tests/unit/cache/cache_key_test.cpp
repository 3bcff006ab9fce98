#include "cache/cache_key.h"

#include <string>

#include <doctest/doctest.h>

using etagd::cache::make_url_key;
using etagd::cache::url_key_path;

TEST_CASE("a URL key is the lowercased host followed by the target as sent") {
  CHECK(make_url_key("API.Example.COM", "/Items?Page=2") == "api.example.com/Items?Page=2");
  CHECK(make_url_key("api.example.com", "/a%2Fb?x=1&y=2") == "api.example.com/a%2Fb?x=1&y=2");
}

TEST_CASE("the default port and an empty port are the same origin as no port") {
  CHECK(make_url_key("example.com:80", "/x") == "example.com/x");
  CHECK(make_url_key("example.com:", "/x") == "example.com/x");
  CHECK(make_url_key("[::1]:80", "/x") == "[::1]/x");
  CHECK(make_url_key("example.com:8080", "/x") == "example.com:8080/x");
  CHECK(make_url_key("example.com:8080", "/x") != make_url_key("example.com", "/x"));
}

TEST_CASE("an empty or asterisk-form target keys as the root path") {
  CHECK(make_url_key("h", "") == "h/");
  CHECK(make_url_key("h", "*") == "h/");
}

TEST_CASE("an absolute-form target keys by its path and query") {
  CHECK(make_url_key("h", "http://h/a/b?c=d") == "h/a/b?c=d");
  CHECK(make_url_key("h", "http://h") == "h/");
  CHECK(make_url_key("h", "http://h?q=1") == "h/?q=1");
}

TEST_CASE("bytes that cannot be in a Host are escaped so hosts never collide") {
  CHECK(make_url_key("a/b", "/x") == "a%2fb/x");
  CHECK(make_url_key("a?b", "/x") == "a%3fb/x");
  CHECK(make_url_key("a%2fb", "/x") == "a%252fb/x");
  CHECK(make_url_key("a/b", "/x") != make_url_key("a%2fb", "/x"));
  CHECK(url_key_path(make_url_key("evil/prefix", "/x")) == "/x");
}

TEST_CASE("url_key_target is the path and query without the host") {
  using etagd::cache::url_key_target;
  CHECK(url_key_target("h/a/b?x=/y") == "/a/b?x=/y");
  CHECK(url_key_target("h:8080/p?") == "/p?");
  CHECK(url_key_target(make_url_key("evil/host", "/x?q")) == "/x?q");
  CHECK(url_key_target("nohost").empty());
}

TEST_CASE("url_key_path is the path without host and query") {
  CHECK(url_key_path("h/a/b?x=/y") == "/a/b");
  CHECK(url_key_path("h/a/b") == "/a/b");
  CHECK(url_key_path("h/") == "/");
  CHECK(url_key_path("h:8080/p?") == "/p");
  CHECK(url_key_path("nohost").empty());
}

TEST_CASE("a URL received over TLS keys under https, apart from the same URL over http") {
  using etagd::cache::Scheme;
  CHECK(make_url_key("Example.com", "/p?q=1", Scheme::Https) == "https://example.com/p?q=1");
  CHECK(make_url_key("example.com", "/p", Scheme::Https) != make_url_key("example.com", "/p"));
  CHECK(make_url_key("example.com", "/p", Scheme::Http) == "example.com/p");
}

TEST_CASE("each scheme drops only its own default port") {
  using etagd::cache::Scheme;
  CHECK(make_url_key("h:443", "/p", Scheme::Https) == "https://h/p");
  CHECK(make_url_key("h:", "/p", Scheme::Https) == "https://h/p");
  CHECK(make_url_key("h:80", "/p", Scheme::Https) == "https://h:80/p");
  CHECK(make_url_key("h:443", "/p", Scheme::Http) == "h:443/p");
}

TEST_CASE("the path and target of an https key skip its scheme") {
  using etagd::cache::Scheme;
  std::string key = make_url_key("h:8443", "/a/b?c=d", Scheme::Https);
  CHECK(url_key_path(key) == "/a/b");
  CHECK(etagd::cache::url_key_target(key) == "/a/b?c=d");
  CHECK(url_key_path(make_url_key("h", "", Scheme::Https)) == "/");
}

TEST_CASE("no valid Host over http makes a key that reads as an https key") {
  using etagd::cache::Scheme;
  CHECK(make_url_key("https:", "//h/p") != make_url_key("h", "/p", Scheme::Https));
  CHECK(make_url_key("https:", "//h/p").starts_with("https/"));
}
