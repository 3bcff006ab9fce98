// What a successful write removes from the cache (RFC 9111 §4.4): the target, same-host
// Location and Content-Location, and the rule's invalidate targets, segment-wise for $path and
// $parent.
#include "proxy/invalidation.h"

#include <doctest/doctest.h>

#include "cache/cache_key.h"
#include "cache/cache_store.h"
#include "config/config_loader.h"
#include "parsed_message.h"
#include "stored_entry.h"

using etagd::cache::CacheStore;
using etagd::cache::CacheStoreOptions;
using etagd::cache::Scheme;
using etagd::config::InvalidateTarget;
using etagd::config::RuleActions;
using etagd::proxy::invalidate_after_write;
using etagd::proxy::parent_path;
using etagd::proxy::testing::ParsedRequest;
using etagd::proxy::testing::ParsedResponse;

namespace {

const etagd::config::RuleSet& no_rules() {
  static const etagd::config::RuleSet rules;
  return rules;
}

struct Cache {
  CacheStore store{CacheStoreOptions{}};
  etagd::http::HeaderList no_headers;

  void put(std::string_view host, std::string_view target, Scheme scheme = Scheme::Http) {
    etagd::cache::ResponseToStore r;
    r.header_block = "ETag: \"x\"\r\n";
    r.freshness.lifetime = std::chrono::seconds(60);
    r.body = "body";
    REQUIRE(store.insert(etagd::cache::CacheEntry::make(
        etagd::cache::make_url_key(host, target, scheme), std::move(r))));
  }
  bool has(std::string_view host, std::string_view target, Scheme scheme = Scheme::Http) {
    return store.lookup(etagd::cache::make_url_key(host, target, scheme), no_headers).entry !=
           nullptr;
  }
  // The entry under each scheme.
  void put_both(std::string_view host, std::string_view target) {
    put(host, target, Scheme::Http);
    put(host, target, Scheme::Https);
  }
};

}  // namespace

TEST_CASE("the parent of a path is its collection") {
  CHECK(parent_path("/api/items/42") == "/api/items");
  CHECK(parent_path("/api/items/") == "/api");
  CHECK(parent_path("/api") == "/");
  CHECK(parent_path("/") == "/");
}

TEST_CASE("a write drops its target and same-host Location and Content-Location, nothing else") {
  Cache c;
  for (const char* t : {"/items/1", "/items/2", "/items/3", "/other"}) c.put("api.example", t);
  c.put("elsewhere.example", "/items/4");
  ParsedRequest put("PUT /items/1 HTTP/1.1\r\nHost: api.example\r\nContent-Length: 2\r\n");
  ParsedResponse created(
      "HTTP/1.1 201 Created\r\nLocation: /items/2\r\n"
      "Content-Location: http://api.example/items/3\r\n");
  invalidate_after_write(c.store, nullptr, no_rules(), put, created, RuleActions{});
  CHECK_FALSE(c.has("api.example", "/items/1"));
  CHECK_FALSE(c.has("api.example", "/items/2"));
  CHECK_FALSE(c.has("api.example", "/items/3"));
  CHECK(c.has("api.example", "/other"));
  CHECK(c.has("elsewhere.example", "/items/4"));
}

TEST_CASE("a Location spelled with dot segments or doubled slashes drops the normalised entry") {
  Cache c;
  for (const char* t : {"/items/1", "/items/2", "/items/3"}) c.put("api.example", t);
  ParsedRequest put("PUT /items//1 HTTP/1.1\r\nHost: api.example\r\nContent-Length: 2\r\n");
  ParsedResponse created(
      "HTTP/1.1 201 Created\r\nLocation: /items/x/../2\r\n"
      "Content-Location: http://api.example/items/%2e/3\r\n");
  invalidate_after_write(c.store, nullptr, no_rules(), put, created, RuleActions{});
  CHECK_FALSE(c.has("api.example", "/items/1"));
  CHECK_FALSE(c.has("api.example", "/items/2"));
  CHECK_FALSE(c.has("api.example", "/items/3"));
}

TEST_CASE("a Location on another host or scheme-relative drops nothing here") {
  Cache c;
  c.put("api.example", "/items/2");
  ParsedRequest post("POST /items HTTP/1.1\r\nHost: api.example\r\nContent-Length: 2\r\n");
  ParsedResponse other("HTTP/1.1 201 Created\r\nLocation: http://evil.example/items/2\r\n");
  invalidate_after_write(c.store, nullptr, no_rules(), post, other, RuleActions{});
  ParsedResponse relative("HTTP/1.1 201 Created\r\nLocation: //evil.example/items/2\r\n");
  invalidate_after_write(c.store, nullptr, no_rules(), post, relative, RuleActions{});
  CHECK(c.has("api.example", "/items/2"));
}

TEST_CASE("$parent and $path drop segment-wise, a literal prefix drops byte-wise") {
  Cache c;
  for (const char* t : {"/api/users", "/api/users/2", "/api/users?page=2", "/api/usersettings",
                        "/uploads/a", "/uploadsX"}) {
    c.put("a", t);
  }
  RuleActions rule;
  rule.invalidate = {{InvalidateTarget::Kind::Parent, ""}, {InvalidateTarget::Kind::Literal, "/uploads"}};
  ParsedRequest put("PUT /api/users/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n");
  ParsedResponse ok("HTTP/1.1 204 No Content\r\n");
  invalidate_after_write(c.store, nullptr, no_rules(), put, ok, rule);
  CHECK_FALSE(c.has("a", "/api/users"));
  CHECK_FALSE(c.has("a", "/api/users/2"));
  CHECK_FALSE(c.has("a", "/api/users?page=2"));
  CHECK(c.has("a", "/api/usersettings"));
  CHECK_FALSE(c.has("a", "/uploads/a"));
  CHECK_FALSE(c.has("a", "/uploadsX"));  // a literal prefix is bytes, as the operator wrote it
}

TEST_CASE("a write drops both schemes' entries of its target, Location and Content-Location") {
  Cache c;
  for (const char* t : {"/items/1", "/items/2", "/items/3", "/items/4", "/other"}) {
    c.put_both("api.example", t);
  }
  // The request does not say which listener it came in on: either way both schemes go.
  ParsedRequest put("PUT /items/1 HTTP/1.1\r\nHost: api.example\r\nContent-Length: 2\r\n");
  ParsedResponse created(
      "HTTP/1.1 201 Created\r\nLocation: https://api.example/items/2\r\n"
      "Content-Location: /items/3\r\n");
  invalidate_after_write(c.store, nullptr, no_rules(), put, created, RuleActions{});
  for (Scheme scheme : {Scheme::Http, Scheme::Https}) {
    CHECK_FALSE(c.has("api.example", "/items/1", scheme));
    CHECK_FALSE(c.has("api.example", "/items/2", scheme));
    CHECK_FALSE(c.has("api.example", "/items/3", scheme));
    CHECK(c.has("api.example", "/items/4", scheme));
    CHECK(c.has("api.example", "/other", scheme));
  }
}

TEST_CASE("$parent drops the collection under both schemes") {
  Cache c;
  for (const char* t : {"/api/users", "/api/users/2", "/api/usersettings"}) c.put_both("a", t);
  RuleActions rule;
  rule.invalidate = {{InvalidateTarget::Kind::Parent, ""}};
  ParsedRequest put("PUT /api/users/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n");
  ParsedResponse ok("HTTP/1.1 204 No Content\r\n");
  invalidate_after_write(c.store, nullptr, no_rules(), put, ok, rule);
  for (Scheme scheme : {Scheme::Http, Scheme::Https}) {
    CHECK_FALSE(c.has("a", "/api/users", scheme));
    CHECK_FALSE(c.has("a", "/api/users/2", scheme));
    CHECK(c.has("a", "/api/usersettings", scheme));
  }
}

TEST_CASE("a Host with the other scheme's default port names that port under each scheme") {
  // Host h:443 over http is http://h:443/, whose https twin is https://h/ (443 is https's
  // default); Host h:80 over https is https://h:80/, whose http twin is http://h/.
  Cache c;
  c.put("h:443", "/p", Scheme::Http);
  c.put("h", "/p", Scheme::Https);
  c.put("h", "/q", Scheme::Http);
  c.put("h:80", "/q", Scheme::Https);
  c.put("h", "/p", Scheme::Http);  // http://h/p is another URL than http://h:443/p
  ParsedResponse ok("HTTP/1.1 204 No Content\r\n");
  ParsedRequest put_p("PUT /p HTTP/1.1\r\nHost: h:443\r\nContent-Length: 2\r\n");
  invalidate_after_write(c.store, nullptr, no_rules(), put_p, ok, RuleActions{});
  CHECK_FALSE(c.has("h:443", "/p", Scheme::Http));
  CHECK_FALSE(c.has("h", "/p", Scheme::Https));
  CHECK(c.has("h", "/p", Scheme::Http));
  ParsedRequest put_q("PUT /q HTTP/1.1\r\nHost: h:80\r\nContent-Length: 2\r\n");
  invalidate_after_write(c.store, nullptr, no_rules(), put_q, ok, RuleActions{});
  CHECK_FALSE(c.has("h", "/q", Scheme::Http));
  CHECK_FALSE(c.has("h:80", "/q", Scheme::Https));
}

TEST_CASE("a write drops the https entry under the key its rule normalised the query into") {
  etagd::config::LoadResult loaded = etagd::config::load_config_text(
      "listen: 127.0.0.1:8080\nupstream: { url: http://127.0.0.1:9000 }\n"
      "rules:\n  - { match: { prefix: / }, cache_key: { query: { sort: on } } }\n",
      "test.yaml");
  REQUIRE(loaded.ok());
  Cache c;
  c.put("a", "/s?a=1&b=2", Scheme::Https);
  c.put("a", "/s?a=1&b=2", Scheme::Http);
  ParsedRequest put("PUT /s?b=2&a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n");
  ParsedResponse ok("HTTP/1.1 204 No Content\r\n");
  invalidate_after_write(c.store, nullptr, loaded.config->rules, put, ok, RuleActions{});
  CHECK_FALSE(c.has("a", "/s?a=1&b=2", Scheme::Https));
  CHECK_FALSE(c.has("a", "/s?a=1&b=2", Scheme::Http));
}
