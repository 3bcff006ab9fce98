// The fields clients get from an upstream response, and the RFC 9111 §4.3.4 merge of an
// upstream 304 into a stored field block.
#include "proxy/response_fields.h"

#include <doctest/doctest.h>

#include "config/rule.h"
#include "parsed_message.h"

using etagd::config::RuleActions;
using etagd::proxy::ClientFieldOptions;
using etagd::proxy::DownstreamSharing;
using etagd::proxy::answer_is_per_user;
using etagd::proxy::cache_control_lines;
using etagd::proxy::merge_not_modified_fields;
using etagd::proxy::upstream_sharing;
using etagd::proxy::write_client_fields;
using etagd::proxy::testing::ParsedResponse;

TEST_CASE("client fields drop framing, Date, Age, hop-by-hop fields and put the 304 set first") {
  ParsedResponse r(
      "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Type: text/plain\r\n"
      "Content-Length: 5\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
      "Age: 3\r\nETag: \"v1\"\r\nX-Cache: upstream\r\nCache-Control: max-age=60\r\n");
  ClientFieldOptions o;
  o.status_header = "X-Cache";
  std::string block;
  size_t prefix = write_client_fields(block, r, o);
  CHECK(block ==
        "ETag: \"v1\"\r\nCache-Control: max-age=60\r\nContent-Type: text/plain\r\n"
        "Via: 1.1 etagd\r\n");
  CHECK(block.substr(0, prefix) == "ETag: \"v1\"\r\nCache-Control: max-age=60\r\n");
}

TEST_CASE("a rule's Cache-Control and header edits replace the upstream's, and a content ETag too") {
  ParsedResponse r(
      "HTTP/1.1 200 OK\r\nCache-Control: private\r\nETag: \"upstream\"\r\nServer: legacy\r\n"
      "X-Powered-By: php\r\n");
  RuleActions rule;
  rule.cache_control.status_2xx = "max-age=60, must-revalidate";
  rule.headers.remove = {"x-powered-by"};
  rule.headers.set = {{"Server", "etagd"}};
  rule.headers.add = {{"X-Extra", "1"}};
  ClientFieldOptions o;
  o.actions = &rule;
  o.etag = "\"content\"";
  std::string block;
  write_client_fields(block, r, o);
  CHECK(block ==
        "Cache-Control: max-age=60, must-revalidate\r\nETag: \"content\"\r\nServer: etagd\r\n"
        "X-Extra: 1\r\nVia: 1.1 etagd\r\n");
}

TEST_CASE("a 304's fields replace the stored ones of the same name (RFC 9111 §4.3.4)") {
  std::string stored =
      "ETag: \"v1\"\r\nCache-Control: max-age=60\r\nContent-Type: text/plain\r\n"
      "X-Version: 1\r\nVia: 1.1 etagd\r\n";
  ParsedResponse not_modified(
      "HTTP/1.1 304 Not Modified\r\nCache-Control: max-age=120\r\nX-Version: 2\r\n"
      "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\nVia: 1.1 other\r\nConnection: keep-alive\r\n");
  ClientFieldOptions o;
  o.etag = "\"v1\"";
  std::string merged;
  size_t prefix = merge_not_modified_fields(merged, stored, not_modified, o);
  CHECK(merged ==
        "ETag: \"v1\"\r\nCache-Control: max-age=120\r\nContent-Type: text/plain\r\n"
        "Via: 1.1 etagd\r\nX-Version: 2\r\n");
  CHECK(merged.substr(0, prefix) == "ETag: \"v1\"\r\nCache-Control: max-age=120\r\n");
}

TEST_CASE("a 304 never undoes a rule: a rewritten Cache-Control and header edits keep their value") {
  RuleActions rule;
  rule.cache_control.status_2xx = "max-age=60";
  rule.headers.set = {{"Server", "etagd"}};
  std::string stored = "Cache-Control: max-age=60\r\nETag: \"v1\"\r\nServer: etagd\r\n";
  ParsedResponse not_modified(
      "HTTP/1.1 304 Not Modified\r\nCache-Control: private\r\nServer: legacy\r\n");
  ClientFieldOptions o;
  o.actions = &rule;
  o.etag = "\"v1\"";
  std::string merged;
  merge_not_modified_fields(merged, stored, not_modified, o);
  CHECK(merged == "ETag: \"v1\"\r\nCache-Control: max-age=60\r\nServer: etagd\r\n");
}

TEST_CASE("what an upstream lets caches after etagd do: no-store, private, a Set-Cookie the answer carries") {
  struct Case {
    const char* what;
    const char* fields;
    bool stored_by_override;
    bool with_set_cookie;  // the answer carries the upstream's Set-Cookie, if it sent one
    DownstreamSharing sharing;
  };
  const Case cases[] = {
      {"nothing said", "Cache-Control: max-age=60\r\n", false, false, DownstreamSharing::Any},
      {"no-store", "Cache-Control: no-store\r\n", false, true, DownstreamSharing::None},
      {"private", "Cache-Control: private, max-age=60\r\n", false, true,
       DownstreamSharing::PrivateOnly},
      {"private and no-store over two lines", "Cache-Control: private\r\nCache-Control: no-store\r\n",
       false, true, DownstreamSharing::None},
      // A qualified private only keeps the fields it names from shared caches (RFC 9111
      // §5.2.2.7); etagd stores the rest without them.
      {"qualified private", "Cache-Control: private=\"x-user\", max-age=60\r\n", false, false,
       DownstreamSharing::Any},
      {"private, stored under ignore_upstream_cache_control", "Cache-Control: private\r\n", true,
       false, DownstreamSharing::Any},
      {"Set-Cookie, not stored", "Set-Cookie: s=1\r\nCache-Control: max-age=60\r\n", false,
       true, DownstreamSharing::PrivateOnly},
      {"Set-Cookie, the stored block without it (no-cache=set-cookie)",
       "Set-Cookie: s=1\r\nCache-Control: no-cache=\"set-cookie\", max-age=60\r\n", false,
       false, DownstreamSharing::Any},
      {"Set-Cookie, the answer that carries it although stored without it",
       "Set-Cookie: s=1\r\nCache-Control: no-cache=\"set-cookie\", max-age=60\r\n", false,
       true, DownstreamSharing::PrivateOnly},
      {"no Set-Cookie to carry", "Cache-Control: max-age=60\r\n", false, true,
       DownstreamSharing::Any},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    ParsedResponse r(std::string("HTTP/1.1 200 OK\r\n") + c.fields);
    CHECK(upstream_sharing(r, c.stored_by_override, c.with_set_cookie) == c.sharing);
  }
}

TEST_CASE("a rule's Cache-Control never widens what the upstream allows caches after etagd, "
          "and one user's answer gets it with private") {
  struct Case {
    const char* what;
    const char* rule_value;
    DownstreamSharing allows;
    bool per_user;
    const char* cache_control;  // what clients get
  };
  const Case cases[] = {
      {"unrestricted: the rule's", "max-age=60", DownstreamSharing::Any, false, "max-age=60"},
      {"private: the upstream's stays", "max-age=60, must-revalidate", DownstreamSharing::PrivateOnly,
       false, "private, max-age=5"},
      {"private: a rule saying private applies", "private, max-age=60",
       DownstreamSharing::PrivateOnly, false, "private, max-age=60"},
      {"private: a rule saying no-store applies", "no-store", DownstreamSharing::PrivateOnly,
       false, "no-store"},
      {"no-store: a rule saying only private would widen it", "private, max-age=60",
       DownstreamSharing::None, false, "private, max-age=5"},
      {"no-store: a rule saying no-store applies", "no-cache, no-store, must-revalidate",
       DownstreamSharing::None, false, "no-cache, no-store, must-revalidate"},
      {"one user's: private added", "max-age=60, must-revalidate", DownstreamSharing::Any, true,
       "private, max-age=60, must-revalidate"},
      {"one user's: public and s-maxage dropped", "public, s-maxage=600, max-age=60",
       DownstreamSharing::Any, true, "private, max-age=60"},
      {"one user's: a rule already private", "private, max-age=60", DownstreamSharing::Any, true,
       "private, max-age=60"},
      {"one user's: a rule saying no-store", "no-store", DownstreamSharing::Any, true, "no-store"},
      {"one user's, upstream private: the upstream's stays", "max-age=60",
       DownstreamSharing::PrivateOnly, true, "private, max-age=5"},
  };
  ParsedResponse r("HTTP/1.1 200 OK\r\nCache-Control: private, max-age=5\r\nX-User: a\r\n");
  for (const Case& c : cases) {
    CAPTURE(c.what);
    RuleActions rule;
    rule.cache_control.status_2xx = c.rule_value;
    ClientFieldOptions o;
    o.actions = &rule;
    o.upstream_allows = c.allows;
    o.per_user = c.per_user;
    std::string block;
    write_client_fields(block, r, o);
    CHECK(block == std::string("Cache-Control: ") + c.cache_control +
                       "\r\nX-User: a\r\nVia: 1.1 etagd\r\n");
  }
}

TEST_CASE("an answer is one user's when the request carried credentials the origin did not share") {
  struct Case {
    const char* what;
    const char* fields;
    bool credentials;
    bool per_user;
  };
  const Case cases[] = {
      {"no credentials", "Cache-Control: max-age=60\r\n", false, false},
      {"credentials, nothing said", "Cache-Control: max-age=60\r\n", true, true},
      {"credentials, no Cache-Control", "X-Other: 1\r\n", true, true},
      {"credentials, public", "Cache-Control: public, max-age=60\r\n", true, false},
      {"credentials, s-maxage", "Cache-Control: s-maxage=60\r\n", true, false},
      {"credentials, must-revalidate on a second line",
       "Cache-Control: max-age=60\r\nCache-Control: must-revalidate\r\n", true, false},
      // A targeted field is addressed to etagd; caches after it read Cache-Control.
      {"credentials, public only in a targeted field",
       "CDN-Cache-Control: public, max-age=60\r\nCache-Control: max-age=60\r\n", true, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    ParsedResponse r(std::string("HTTP/1.1 200 OK\r\n") + c.fields);
    CHECK(answer_is_per_user(r, c.credentials) == c.per_user);
  }
}

TEST_CASE("the Cache-Control lines of an answer are the ones its whole field block would get") {
  ParsedResponse r(
      "HTTP/1.1 200 OK\r\nCache-Control: no-cache=\"Set-Cookie\"\r\nSet-Cookie: s=1\r\n"
      "Cache-Control: max-age=60\r\n");
  RuleActions rule;
  rule.cache_control.status_2xx = "public, max-age=600";
  ClientFieldOptions o;
  o.actions = &rule;
  CHECK(cache_control_lines(r, o) == "Cache-Control: public, max-age=600\r\n");
  // Where the rule's value would widen it, the upstream's lines, every one of them.
  o.upstream_allows = DownstreamSharing::PrivateOnly;
  CHECK(cache_control_lines(r, o) ==
        "Cache-Control: no-cache=\"Set-Cookie\"\r\nCache-Control: max-age=60\r\n");
  rule.headers.remove = {"Cache-Control"};
  CHECK(cache_control_lines(r, o).empty());
}
