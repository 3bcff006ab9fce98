// What keeps stored responses to one URL apart: key_headers, Vary, and the request fields
// that make a legacy origin answer differently without saying so (the poisoning defence).
#include "proxy/cache_variant.h"

#include <doctest/doctest.h>

#include "parsed_message.h"

using etagd::cache::VaryField;
using etagd::config::RuleActions;
using etagd::proxy::coalescing_key;
using etagd::proxy::response_variant;
using etagd::proxy::testing::ParsedRequest;
using etagd::proxy::testing::ParsedResponse;

namespace {

bool same(const std::vector<VaryField>& a, const std::vector<std::pair<std::string, std::string>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].first || a[i].value != b[i].second) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a variant is key_headers, then override fields present, then the response's Vary") {
  ParsedRequest req(
      "GET /doc HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer 1\r\nAccept-Language: de\r\n"
      "X-Forwarded-Host: evil.example\r\n");
  ParsedResponse resp("HTTP/1.1 200 OK\r\nVary: Accept-Language, authorization\r\n");
  RuleActions rule;
  rule.key_headers = {"authorization", "x-tenant"};
  CHECK(same(response_variant(req, rule, resp.head().headers),
             {{"authorization", "Bearer 1"},
              {"x-tenant", ""},
              {"x-forwarded-host", "evil.example"},
              {"accept-language", "de"}}));
}

TEST_CASE("the coalescing key holds what is known before the response: URL, keys, overrides") {
  RuleActions rule;
  rule.key_headers = {"authorization"};
  ParsedRequest alice("GET /doc HTTP/1.1\r\nHost: a\r\nAuthorization: alice\r\n");
  ParsedRequest bob("GET /doc HTTP/1.1\r\nHost: a\r\nAuthorization: bob\r\n");
  ParsedRequest alice_again("GET /doc HTTP/1.1\r\nHost: a\r\nAuthorization: alice\r\nAccept: *\r\n");
  CHECK(coalescing_key("a/doc", alice, rule) != coalescing_key("a/doc", bob, rule));
  CHECK(coalescing_key("a/doc", alice, rule) == coalescing_key("a/doc", alice_again, rule));
}

TEST_CASE("Vary: Accept-Encoding keys on the codings the request accepts, not the raw field") {
  ParsedRequest req("GET /doc HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip, deflate, br\r\n");
  ParsedResponse resp("HTTP/1.1 200 OK\r\nVary: accept-encoding\r\nContent-Encoding: br\r\n");
  CHECK(same(response_variant(req, RuleActions{}, resp.head().headers),
             {{"accept-encoding", "br,deflate,gzip,identity"}}));
  ParsedRequest plain("GET /doc HTTP/1.1\r\nHost: a\r\n");
  CHECK(same(response_variant(plain, RuleActions{}, resp.head().headers),
             {{"accept-encoding", "identity"}}));
}
