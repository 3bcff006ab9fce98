// A config written with nginx's or Varnish's names: each unknown key points at the etagd key
// that does the same, named from where it was written.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::load;
using test::load_with_minimal;
using test::printed;
using test::reports;
using test::require_error;

TEST_CASE("nginx's names at the top level point at etagd's key, with file and line") {
  struct Case {
    std::string_view line;
    std::string_view expected;
  };
  const Case cases[] = {
      {"proxy_pass: http://127.0.0.1:9000",
       "test.yaml:3:1: error: proxy_pass: unknown key 'proxy_pass'; did you mean "
       "'upstream.url'? (nginx's proxy_pass; e.g. upstream: http://127.0.0.1:9000"},
      {"location: /api/",
       "error: location: unknown key 'location'; did you mean 'match.prefix' in a rule? "
       "(nginx's location; a rule per location"},
      {"proxy_cache_valid: 10m",
       "error: proxy_cache_valid: unknown key 'proxy_cache_valid'; did you mean the rule action "
       "'ttl'? (nginx's proxy_cache_valid; e.g. ttl: { 2xx: 10m, 404: 1m }; put it under "
       "`defaults:` for every request, or in a rule)"},
      {"gzip: on", "did you mean the rule action 'compress'? (nginx's gzip;"},
      {"client_max_body_size: 10m",
       "did you mean 'limits.max_request_body'? (nginx's client_max_body_size;"},
      {"proxy_cache: my_zone", "did you mean the rule action 'cache'? (nginx's proxy_cache;"},
      {"proxy_read_timeout: 60s",
       "did you mean 'timeouts.upstream_read'? (nginx's proxy_read_timeout)"},
      {"proxy_connect_timeout: 5s",
       "did you mean 'timeouts.upstream_connect'? (nginx's proxy_connect_timeout)"},
      {"server_name: api.example.com",
       "did you mean 'match.host' in a rule? (nginx's server_name;"},
      {"worker_processes: auto", "did you mean 'workers'? (nginx's worker_processes;"},
      {"add_header: X-Frame-Options DENY",
       "did you mean the rule action 'headers'? (nginx's add_header;"},
      {"expires: 1h", "did you mean the rule action 'cache_control'? (nginx's expires;"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    require_error(load_with_minimal(std::string(c.line) + "\n"), c.expected);
  }
}

TEST_CASE("Varnish's names point at etagd's key") {
  require_error(load("listen: 127.0.0.1:8080\nbackend: http://127.0.0.1:9000\n"),
                "error: backend: unknown key 'backend'; did you mean 'upstream'? (Varnish's "
                "backend; e.g. upstream: http://127.0.0.1:9000)");
  require_error(load_with_minimal("beresp.ttl: 120s\n"),
                "did you mean the rule action 'ttl'? (Varnish's beresp.ttl;");
}

TEST_CASE("another server's name inside a block or a rule is named from there") {
  require_error(load_with_minimal("timeouts: { proxy_read_timeout: 60s }\n"),
                "error: timeouts.proxy_read_timeout: unknown key 'proxy_read_timeout'; did you "
                "mean 'upstream_read'? (nginx's proxy_read_timeout)");
  LoadResult r = load_with_minimal(
      "rules:\n"
      "  - match: { prefix: /, location: /static/ }\n"
      "    expires: 1h\n"
      "    server_name: api.example.com\n");
  require_error(r, "error: rules[0].match.location: unknown key 'location'; did you mean "
                   "'prefix'? (nginx's location;");
  // In a rule, an action needs no word on where actions go.
  require_error(r, "error: rules[0].expires: unknown key 'expires'; did you mean "
                   "'cache_control'? (nginx's expires; what clients are told, e.g. "
                   "cache_control: \"max-age=3600\"; how long etagd keeps a response is ttl)");
  require_error(r, "error: rules[0].server_name: unknown key 'server_name'; did you mean "
                   "'match.host'? (nginx's server_name;");
}

TEST_CASE("a value ending in a semicolon, as nginx's directives do, gets a hint to remove it") {
  require_error(load("listen: 8080;\nupstream: http://127.0.0.1:9000\n"),
                "test.yaml:1:9: error: listen: '8080;' is not a host name or IP address; remove "
                "the ';' at the end: a YAML value ends with its line (nginx's directives end "
                "with ';')");
  require_error(load_with_minimal("workers: 4;\n"), "found '4;'; remove the ';' at the end");
}

TEST_CASE("a file in nginx's syntax is called that, not a single value") {
  for (std::string_view text : {"listen 8080;\nproxy_pass http://127.0.0.1:9000;\n",
                                "server {\n  listen 8080;\n  location / {\n    proxy_pass "
                                "http://127.0.0.1:9000;\n  }\n}\n"}) {
    CAPTURE(text);
    require_error(load(text),
                  "test.yaml:1:1: error: this looks like an nginx configuration; etagd's is "
                  "YAML, one `key: value` a line, e.g. listen: 8080 and upstream: "
                  "http://127.0.0.1:9000");
  }
}

}  // namespace
}  // namespace etagd::config
