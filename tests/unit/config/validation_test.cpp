// Every validation error: each names file:line:column, the key's path, and what is wrong.
#include <doctest/doctest.h>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::load;
using test::load_with_minimal;
using test::printed;
using test::reports;
using test::require_error;

TEST_CASE("an unknown key is an error that suggests the likely intended key") {
  require_error(load_with_minimal("timeout: { client_header: 5s }\n"),
                "test.yaml:3:1: error: timeout: unknown key 'timeout'; did you mean 'timeouts'?");
  require_error(load_with_minimal("timeouts:\n  client_haeder: 5s\n"),
                "test.yaml:4:3: error: timeouts.client_haeder: unknown key 'client_haeder'; did "
                "you mean 'client_header'?");
  require_error(load_with_minimal("rules:\n  - match: { prefix: / }\n    cahce: store\n"),
                "test.yaml:5:5: error: rules[0].cahce: unknown key 'cahce'; did you mean 'cache'?");
  require_error(load_with_minimal("rules:\n  - match: { method: [GET] }\n"),
                "test.yaml:4:14: error: rules[0].match.method: unknown key 'method'; did you mean "
                "'methods'?");
}

TEST_CASE("an unknown key with nothing close gets no suggestion") {
  LoadResult r = load_with_minimal("compression: gzip\n");
  require_error(r, "test.yaml:3:1: error: compression: unknown key 'compression'");
  CHECK_FALSE(reports(r, "did you mean"));
}

TEST_CASE("a key given twice is an error at the second one") {
  require_error(load_with_minimal("workers: 2\nworkers: 4\n"),
                "test.yaml:4:1: error: workers: 'workers' is given twice");
  require_error(load_with_minimal("defaults:\n  headers:\n    set: { X-A: 1, x-a: 2 }\n"),
                "test.yaml:5:20: error: defaults.headers.set.x-a: 'x-a' is given twice");
}

TEST_CASE("listen and upstream are required") {
  LoadResult r = load("workers: 2\n");
  require_error(r, "test.yaml:1:1: error: listen: required");
  require_error(r, "test.yaml:1:1: error: upstream: required");
  require_error(load("listen: 127.0.0.1:1\nupstream: { max_idle: 3 }\n"),
                "test.yaml:2:11: error: upstream: upstream needs a url");
}

TEST_CASE("an empty file and a top level that is not a mapping are errors") {
  require_error(load(""), "test.yaml:1:1: error: the file is empty");
  require_error(load("- a\n- b\n"),
                "test.yaml:1:1: error: expected a mapping of settings, found a list");
}

TEST_CASE("a YAML syntax error is reported at its position") {
  LoadResult r = load("listen: [127.0.0.1:1\nupstream: { url: http://a }\n");
  INFO(printed(r));
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].line == 2);
  CHECK(r.diagnostics[0].to_string().starts_with("test.yaml:2:"));
}

TEST_CASE("a value of the wrong type names what was expected and what was found") {
  require_error(
      load_with_minimal("timeouts: 5s\n"),
      "test.yaml:3:11: error: timeouts: expected a mapping of settings, found a single value");
  require_error(load("listen: [[127.0.0.1:8080]]\nupstream: { url: http://a }\n"),
                "test.yaml:1:10: error: listen[0]: expected a single value, found a list");
  require_error(load("listen: { a: 1 }\nupstream: { url: http://a }\n"),
                "test.yaml:1:11: error: listen.a: unknown key 'a'");
  require_error(load_with_minimal("workers: [1, 2]\n"),
                "test.yaml:3:10: error: workers: expected a single value, found a list");
  require_error(load_with_minimal("rules: { match: { prefix: / } }\n"),
                "test.yaml:3:8: error: rules: expected a list of rules, found a mapping");
  require_error(load_with_minimal("rules:\n  - match: { prefix: / }\n    key_headers: { a: b }\n"),
                "test.yaml:5:18: error: rules[0].key_headers: expected a list, found a mapping");
  require_error(load_with_minimal("rules:\n  - prefix: /\n"),
                "test.yaml:4:5: error: rules[0].prefix: unknown key 'prefix'");
  require_error(
      load_with_minimal("rules:\n  - /api/\n"),
      "test.yaml:4:5: error: rules[0]: expected a mapping of settings, found a single value");
}

TEST_CASE("bad durations, sizes and numbers are errors that show the accepted forms") {
  require_error(load_with_minimal("timeouts: { client_header: 1.5s }\n"),
                "test.yaml:3:28: error: timeouts.client_header: '1.5s' is not a duration; write a "
                "whole number with a unit: 250ms, 60s, 5m, 2h, 1d");
  require_error(load_with_minimal("cache: { max_memory: 256MBytes }\n"),
                "test.yaml:3:22: error: cache.max_memory: '256MBytes' is not a size");
  require_error(load_with_minimal("limits: { max_request_body: 99999999999999999999 }\n"),
                "error: limits.max_request_body: '99999999999999999999' is not a size");
  require_error(load_with_minimal("limits: { max_headers: -1 }\n"),
                "test.yaml:3:24: error: limits.max_headers: '-1' is not a whole number");
  require_error(load_with_minimal("limits: { max_headers: 0 }\n"),
                "test.yaml:3:24: error: limits.max_headers: 0 is out of range (1 to 10000)");
  require_error(load_with_minimal("limits: { max_concurrent_streams: 0 }\n"),
                "test.yaml:3:35: error: limits.max_concurrent_streams: 0 is out of range (1 to "
                "10000)");
  require_error(load_with_minimal("limits: { max_concurrent_streams: 10001 }\n"),
                "test.yaml:3:35: error: limits.max_concurrent_streams: 10001 is out of range (1 "
                "to 10000)");
  require_error(load_with_minimal("limits: { stream_resets_per_second: 0 }\n"),
                "test.yaml:3:37: error: limits.stream_resets_per_second: 0 is out of range (1 to "
                "100000)");
  require_error(load_with_minimal("limits: { stream_resets_per_second: 1.5 }\n"),
                "test.yaml:3:37: error: limits.stream_resets_per_second: '1.5' is not a whole "
                "number");
  require_error(load_with_minimal("limits: { max_header_bytes: 100 }\n"),
                "error: limits.max_header_bytes: must be at least 1KiB");
  require_error(load_with_minimal("upstream_extra: 1\n"), "unknown key 'upstream_extra'");
}

TEST_CASE("timeouts must be positive, except shutdown") {
  require_error(load_with_minimal("timeouts: { upstream_read: 0s }\n"),
                "test.yaml:3:28: error: timeouts.upstream_read: must be longer than 0");
  CHECK(load_with_minimal("timeouts: { shutdown: 0s }\n").ok());
}

TEST_CASE("workers is auto or a positive number") {
  require_error(load_with_minimal("workers: 0\n"),
                "test.yaml:3:10: error: workers: 0 is out of range (1 to 1024)");
  require_error(load_with_minimal("workers: lots\n"),
                "test.yaml:3:10: error: workers: expected `auto` or a number of worker threads");
}

TEST_CASE("listen addresses need a host, a port in range and brackets around IPv6") {
  require_error(load("listen: 127.0.0.1:70000\nupstream: { url: http://a }\n"),
                "test.yaml:1:9: error: listen: port 70000 is out of range (1 to 65535)");
  require_error(
      load("listen: [\"127.0.0.1:8080\", \"127.0.0.1:0\"]\nupstream: { url: http://a }\n"),
      "test.yaml:1:28: error: listen[1]: port 0 is out of range (1 to 65535)");
  require_error(load("listen: 127.0.0.1\nupstream: { url: http://a }\n"),
                "test.yaml:1:9: error: listen: the port is missing");
  require_error(load("listen: \":8080\"\nupstream: { url: http://a }\n"),
                "test.yaml:1:9: error: listen: the host is missing");
  require_error(load("listen: \"::1:8080\"\nupstream: { url: http://a }\n"),
                "error: listen: an IPv6 address goes in brackets, e.g. [::1]:8080");
  require_error(load("listen: \"[::g]:8080\"\nupstream: { url: http://a }\n"),
                "error: listen: '::g' is not an IPv6 address");
  require_error(load("listen: \"300.1.1.1:80\"\nupstream: { url: http://a }\n"),
                "error: listen: '300.1.1.1' is not a host name or IP address");
  require_error(load("listen: [127.0.0.1:80, 127.0.0.1:80]\nupstream: { url: http://a }\n"),
                "test.yaml:1:24: error: listen[1]: '127.0.0.1:80' is listed twice");
  require_error(load("listen: []\nupstream: { url: http://a }\n"),
                "test.yaml:1:9: error: listen: needs at least one host:port");
  require_error(load_with_minimal("admin: { listen: \"127.0.0.1:99999\" }\n"),
                "test.yaml:3:18: error: admin.listen: port 99999 is out of range");
  require_error(load_with_minimal("fleet: { redis: \"redis:0\" }\n"),
                "test.yaml:3:17: error: fleet.redis: port 0 is out of range");
}

TEST_CASE("the upstream must be an http or https URL with at most a base path") {
  require_error(load("listen: 127.0.0.1:1\nupstream: { url: ftp://a }\n"),
                "test.yaml:2:18: error: upstream.url: 'ftp://a' is not an http:// or https:// URL");
  require_error(load("listen: 127.0.0.1:1\nupstream: { url: \"http://u:p@a\" }\n"),
                "error: upstream.url: credentials in the URL are not supported");
  require_error(load("listen: 127.0.0.1:1\nupstream: { url: \"http://a/x?y=1\" }\n"),
                "error: upstream.url: the upstream URL cannot have a query");
  require_error(load("listen: 127.0.0.1:1\nupstream: { url: \"http://a:0\" }\n"),
                "error: upstream.url: port 0 is out of range");
  require_error(load("listen: 127.0.0.1:1\nupstream: { url: \"http://\" }\n"),
                "error: upstream.url: the host is missing");
  require_error(load("listen: 127.0.0.1:1\nupstream: { url: http://a, host_header: \"a b\" }\n"),
                "test.yaml:2:41: error: upstream.host_header: expected forward, upstream or a "
                "host[:port] to send");
}

TEST_CASE("cache shards must be a power of two") {
  require_error(load_with_minimal("cache: { shards: 12 }\n"),
                "test.yaml:3:18: error: cache.shards: 12 is not a power of two");
  CHECK(load_with_minimal("cache: { shards: 1 }\n").ok());
  CHECK(load_with_minimal("cache: { shards: 1024 }\n").ok());
}

TEST_CASE("the cache-status header name must be a token and not hop-by-hop") {
  require_error(load_with_minimal("cache: { status_header: \"X Cache\" }\n"),
                "error: cache.status_header: 'X Cache' is not a valid header field name");
  require_error(load_with_minimal("cache: { status_header: Connection }\n"),
                "error: cache.status_header: 'Connection' is a hop-by-hop field");
}

TEST_CASE("an object limit above one shard's budget is a warning that says what to change") {
  LoadResult r =
      load_with_minimal("cache: { max_memory: 16MiB, shards: 16, max_object_size: 2MiB }\n");
  INFO(printed(r));
  CHECK(r.ok());
  CHECK(reports(r,
                "test.yaml:3:58: warning: cache.max_object_size: max_object_size (2MiB) is larger "
                "than one shard's share of max_memory (16MiB / 16 shards = 1MiB), so such "
                "objects would never be cached; lower max_object_size to at most 1MiB, raise "
                "max_memory to at least 32MiB, or set shards to 8"));
}

TEST_CASE("the object limit warning speaks the units the file wrote") {
  LoadResult r = load_with_minimal("cache: { max_memory: 1g, max_object_size: 100m }\n");
  INFO(printed(r));
  CHECK(r.ok());
  CHECK(reports(r, "max_object_size (100m) is larger than one shard's share of max_memory (1g / "
                   "16 shards = 64MiB), so such objects would never be cached; lower "
                   "max_object_size to at most 64m, raise max_memory to at least 1600MiB, or "
                   "set shards to 8"));
  // Left at its default, max_memory is named in the binary unit that states it exactly.
  r = load_with_minimal("cache: { max_object_size: 32MB }\n");
  INFO(printed(r));
  CHECK(reports(r, "max_object_size (32MB) is larger than one shard's share of max_memory "
                   "(256MiB / 16 shards = 16MiB), so such objects would never be cached; lower "
                   "max_object_size to at most 16MB, raise max_memory to at least 512MiB, or "
                   "set shards to 8"));
  // An object larger than the whole cache cannot fit with any number of shards.
  r = load_with_minimal("cache: { max_memory: 1MiB, max_object_size: 2MiB }\n");
  CHECK(reports(r, "raise max_memory to at least 32MiB"));
  CHECK_FALSE(reports(r, "set shards"));
}

TEST_CASE("cache: off, no or false in a rule names the modes and says bypass caches nothing") {
  // yaml-cpp gives the word as written; a YAML 1.1 tool may have turned off into false.
  for (std::string_view word : {"off", "no", "false", "Off", "none"}) {
    CAPTURE(word);
    require_error(load_with_minimal(std::string("rules:\n  - match: { prefix: / }\n    cache: ") +
                                    std::string(word) + "\n"),
                  std::string("test.yaml:5:12: error: rules[0].cache: '") + std::string(word) +
                      "' is not one of: store, validate, bypass; to cache nothing, write cache: "
                      "bypass (validate also stores nothing, but still answers If-None-Match "
                      "with 304 from a hash of each response)");
  }
  require_error(load_with_minimal("defaults: { cache: off }\n"),
                "error: defaults.cache: 'off' is not one of: store, validate, bypass; to cache "
                "nothing, write cache: bypass");
}

TEST_CASE("an object limit above 1GiB is an error: a stored body is held in memory whole") {
  require_error(load_with_minimal("cache: { max_memory: 64GiB, max_object_size: 2GiB }\n"),
                "test.yaml:3:46: error: cache.max_object_size: must be at most 1GiB");
}

TEST_CASE("log destinations are keywords or absolute paths, and levels and formats are words") {
  require_error(
      load_with_minimal("log: { access_log: access.log }\n"),
      "test.yaml:3:20: error: log.access_log: expected off, stdout, stderr or an absolute "
      "file path, found 'access.log'");
  require_error(load_with_minimal("log: { error_log: off }\n"),
                "error: log.error_log: expected stdout, stderr or an absolute file path");
  require_error(load_with_minimal("log: { level: verbose }\n"),
                "test.yaml:3:15: error: log.level: 'verbose' is not one of: trace, debug, info, "
                "warn, error, critical, off");
  require_error(load_with_minimal("log: { access_format: jsn }\n"),
                "error: log.access_format: 'jsn' is not one of: text, json, combined; did you "
                "mean 'json'?");
}

TEST_CASE("the access log format combined is accepted") {
  LoadResult r = load_with_minimal("log: { access_format: combined }\n");
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.config->log.access_format == LogFormat::Combined);
}

TEST_CASE("admin and fleet take off or a mapping, and fleet values are checked") {
  require_error(load_with_minimal("admin: yes\n"),
                "test.yaml:3:8: error: admin: expected `off` or a mapping");
  require_error(load_with_minimal("fleet: { reconnect_min: 10s, reconnect_max: 1s }\n"),
                "test.yaml:3:45: error: fleet.reconnect_max: reconnect_max must not be shorter "
                "than reconnect_min");
  require_error(load_with_minimal("fleet: { channel: \"a b\" }\n"),
                "error: fleet.channel: must be non-empty, without spaces or control characters");
}

TEST_CASE("a rule needs a match, and an empty match is an error that says how to match all") {
  require_error(load_with_minimal("rules:\n  - cache: bypass\n"),
                "test.yaml:4:5: error: rules[0]: a rule needs a `match`; to apply a rule to every "
                "request write `match: { prefix: / }`");
  require_error(load_with_minimal("rules:\n  - match: {}\n"),
                "test.yaml:4:12: error: rules[0].match: empty match; to apply a rule to every "
                "request write `match: { prefix: / }`");
  require_error(load_with_minimal("rules:\n  - match:\n    cache: bypass\n"),
                "test.yaml:4:5: error: rules[0].match: empty match");
}

TEST_CASE("an unknown or empty method list is an error") {
  require_error(
      load_with_minimal("rules:\n  - match: { methods: [GET, GTE] }\n"),
      "test.yaml:4:29: error: rules[0].match.methods[1]: 'GTE' is not one "
      "of: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE, CONNECT; did you mean 'GET'?");
  require_error(load_with_minimal("rules:\n  - match: { methods: [FETCH] }\n"),
                "rules[0].match.methods[0]: 'FETCH' is not one of: GET");
  require_error(load_with_minimal("rules:\n  - match: { methods: [] }\n"),
                "test.yaml:4:23: error: rules[0].match.methods: an empty list matches nothing");
}

TEST_CASE("match paths must start with '/' and carry no query") {
  require_error(load_with_minimal("rules:\n  - match: { path: api/items }\n"),
                "test.yaml:4:20: error: rules[0].match.path: 'api/items' must start with '/'");
  require_error(load_with_minimal("rules:\n  - match: { prefix: \"\" }\n"),
                "test.yaml:4:22: error: rules[0].match.prefix: '' must start with '/'");
  require_error(load_with_minimal("rules:\n  - match: { glob: \"*.css\" }\n"),
                "error: rules[0].match.glob: '*.css' must start with '/'");
  require_error(load_with_minimal("rules:\n  - match: { path: \"/a?b=1\" }\n"),
                "error: rules[0].match.path: paths are matched without the query string");
  require_error(load_with_minimal("rules:\n  - match: { path: \"/a b\" }\n"),
                "error: rules[0].match.path: a path cannot contain spaces");
}

TEST_CASE("a match names at most one of path, prefix and glob") {
  require_error(load_with_minimal("rules:\n  - match: { path: /a, prefix: /b }\n"),
                "test.yaml:4:24: error: rules[0].match.prefix: a match takes one of path, prefix "
                "or glob; 'prefix' conflicts with 'path'");
}

TEST_CASE("a '*' outside a glob is matched literally, with a warning") {
  LoadResult r = load_with_minimal("rules:\n  - match: { prefix: \"/api/*\" }\n");
  INFO(printed(r));
  CHECK(r.ok());
  CHECK(reports(r, "test.yaml:4:22: warning: rules[0].match.prefix: '*' is matched literally"));
}

TEST_CASE("a match host has no port and no inner wildcard") {
  require_error(load_with_minimal("rules:\n  - match: { host: \"api.example.com:8080\" }\n"),
                "test.yaml:4:20: error: rules[0].match.host: hosts are matched without the port; "
                "write 'api.example.com'");
  require_error(load_with_minimal("rules:\n  - match: { host: \"api.*.com\" }\n"),
                "error: rules[0].match.host: 'api.*.com' is not a host name");
}

TEST_CASE("cache, etag and ttl take their documented words and units") {
  require_error(load_with_minimal("defaults: { cache: stor }\n"),
                "test.yaml:3:20: error: defaults.cache: 'stor' is not one of: store, validate, "
                "bypass; did you mean 'store'?");
  require_error(load_with_minimal("defaults: { etag: strong }\n"),
                "error: defaults.etag: 'strong' is not one of: preserve, generate");
  require_error(load_with_minimal("defaults: { ttl: 1500ms }\n"),
                "test.yaml:3:18: error: defaults.ttl: counted in whole seconds");
  require_error(load_with_minimal("defaults: { ttl: forever }\n"),
                "error: defaults.ttl: 'forever' is not a duration");
  require_error(load_with_minimal("defaults: { stale_if_error: 1m30 }\n"),
                "error: defaults.stale_if_error: '1m30' is not a duration");
}

TEST_CASE("key_headers must be header field names") {
  require_error(
      load_with_minimal("defaults:\n  key_headers: [Authorization, \"Accept Language\"]\n"),
      "test.yaml:4:32: error: defaults.key_headers[1]: 'Accept Language' is not a valid "
      "header field name");
}

TEST_CASE("header edits need valid names and may not touch fields etagd owns") {
  require_error(
      load_with_minimal("defaults:\n  headers: { remove: [\"Bad Name\"] }\n"),
      "test.yaml:4:23: error: defaults.headers.remove[0]: 'Bad Name' is not a valid header "
      "field name");
  require_error(
      load_with_minimal("defaults:\n  headers: { set: { \"X:Y\": 1 } }\n"),
      "test.yaml:4:21: error: defaults.headers.set.X:Y: 'X:Y' is not a valid header field");
  require_error(
      load_with_minimal("defaults:\n  headers: { add: { Connection: close } }\n"),
      "test.yaml:4:21: error: defaults.headers.add.Connection: 'Connection' is hop-by-hop");
  require_error(
      load_with_minimal("defaults:\n  headers: { set: { Transfer-Encoding: chunked } }\n"),
      "error: defaults.headers.set.Transfer-Encoding: 'Transfer-Encoding' is hop-by-hop");
  require_error(load_with_minimal("defaults:\n  headers: { set: { Proxy-Authenticate: x } }\n"),
                "'Proxy-Authenticate' is hop-by-hop");
  require_error(load_with_minimal("defaults:\n  headers: { set: { Content-Length: 0 } }\n"),
                "error: defaults.headers.set.Content-Length: Content-Length is set by etagd");
  require_error(load_with_minimal("defaults:\n  headers: { set: { Cache-Control: no-store } }\n"),
                "error: defaults.headers.set.Cache-Control: use the cache_control action instead");
  require_error(load_with_minimal("defaults:\n  headers: { set: { ETag: x } }\n"),
                "error: defaults.headers.set.ETag: use the etag action");
  require_error(
      load_with_minimal("defaults:\n  headers: { set: { X-A: \"a\\r\\nX-B: b\" } }\n"),
      "test.yaml:4:26: error: defaults.headers.set.X-A: the value contains control characters");
  require_error(load_with_minimal("defaults:\n  headers: { replace: {} }\n"),
                "error: defaults.headers.replace: unknown key 'replace'");
}

TEST_CASE("cache_control values must be directive lists without control characters") {
  require_error(
      load_with_minimal("defaults:\n  cache_control: \"max-age=60\\r\\nX-Evil: 1\"\n"),
      "test.yaml:4:18: error: defaults.cache_control: the value contains control characters");
  require_error(load_with_minimal("defaults:\n  cache_control: { 2xx: \"max-age 60\" }\n"),
                "test.yaml:4:25: error: defaults.cache_control.2xx: 'max-age 60' is not a "
                "directive (name or name=value)");
  require_error(load_with_minimal("defaults:\n  cache_control: { 2xx: \"max-age=\" }\n"),
                "error: defaults.cache_control.2xx: directive 'max-age' has a malformed value");
  require_error(load_with_minimal("defaults:\n  cache_control: \"\"\n"),
                "error: defaults.cache_control: the value is empty");
  require_error(load_with_minimal("defaults:\n  cache_control: { 1xx: no-store }\n"),
                "error: defaults.cache_control.1xx: unknown key '1xx'");
  CHECK(load_with_minimal("defaults:\n  cache_control: 'private, no-cache=\"Set-Cookie\"'\n").ok());
}

TEST_CASE("invalidate takes paths, $path and $parent") {
  require_error(load_with_minimal("rules:\n  - match: { prefix: / }\n    invalidate: [ $paths ]\n"),
                "test.yaml:5:19: error: rules[0].invalidate[0]: '$paths' is not one of: $path, "
                "$parent; did you mean '$path'?");
  require_error(load_with_minimal("rules:\n  - match: { prefix: / }\n    invalidate: [ api/ ]\n"),
                "error: rules[0].invalidate[0]: 'api/' must start with '/'");
}

TEST_CASE("every problem in a file is reported, in file order, not just the first") {
  LoadResult r = load(R"(listen: 127.0.0.1:99999
upstream: { url: gopher://origin }
workers: many
timeouts: { client_idle: soon }
cache: { shards: 3 }
rules:
  - match: { path: nope }
    cache: keep
  - match: {}
)");
  INFO(printed(r));
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 8);
  CHECK(r.diagnostics[0].to_string().starts_with("test.yaml:1:9: error: listen: "));
  CHECK(r.diagnostics[1].to_string().starts_with("test.yaml:2:18: error: upstream.url: "));
  CHECK(r.diagnostics[2].to_string().starts_with("test.yaml:3:10: error: workers: "));
  CHECK(r.diagnostics[3].to_string().starts_with("test.yaml:4:26: error: timeouts.client_idle: "));
  CHECK(r.diagnostics[4].to_string().starts_with("test.yaml:5:18: error: cache.shards: "));
  CHECK(r.diagnostics[5].to_string().starts_with("test.yaml:7:20: error: rules[0].match.path: "));
  CHECK(r.diagnostics[6].to_string().starts_with("test.yaml:8:12: error: rules[0].cache: "));
  CHECK(r.diagnostics[7].to_string().starts_with("test.yaml:9:12: error: rules[1].match: "));
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

void require_rejected(const LoadResult& r, std::string_view expected) {
  INFO(test::printed(r));
  CHECK_FALSE(r.ok());
  CHECK(test::reports(r, expected));
}

TEST_CASE("trusted_proxies entries must be IP addresses or networks without host bits") {
  LoadResult r = test::load_with_minimal(
      "trusted_proxies: [10.0.0.1/8, proxy.internal, 10.0.0.0/33, \"[::1]\"]\n");
  require_rejected(r, "test.yaml:3:19: error: trusted_proxies[0]: '10.0.0.1/8' has host bits set "
                      "beyond the /8 prefix; did you mean 10.0.0.0/8?");
  require_rejected(r, "trusted_proxies[1]: 'proxy.internal' is not an IP address");
  require_rejected(r, "trusted_proxies[2]: '/33' is not a prefix length");
  require_rejected(r, "trusted_proxies[3]: '[::1]': write an IPv6 address or network without "
                      "brackets");
  CHECK(test::count_errors(r) == 4);
  require_rejected(test::load_with_minimal("trusted_proxies: [10.0.0.0/8, 10.0.0.0/8]\n"),
                   "trusted_proxies[1]: '10.0.0.0/8' is listed twice");
  require_rejected(test::load_with_minimal("trusted_proxies: { a: 1 }\n"),
                   "trusted_proxies: expected a list, found a mapping");
}

TEST_CASE("trusting every address is a warning: any client could then pick its own address") {
  for (const char* all : {"0.0.0.0/0", "\"::/0\""}) {
    CAPTURE(all);
    LoadResult r = test::load_with_minimal(std::string("trusted_proxies: [") + all + "]\n");
    INFO(test::printed(r));
    CHECK(r.ok());
    CHECK(test::reports(r, "warning: trusted_proxies[0]: "));
    CHECK(test::reports(r, "trusts every IPv"));
  }
}

TEST_CASE("upstream.forwarded takes rfc7239 or off") {
  require_rejected(test::load("listen: 127.0.0.1:1\nupstream: { url: http://a, forwarded: rfc7230 }\n"),
                   "test.yaml:2:39: error: upstream.forwarded: 'rfc7230' is not one of: rfc7239, "
                   "off; did you mean 'rfc7239'?");
}

TEST_CASE("an upstream URL given alone is checked like upstream.url") {
  require_rejected(test::load("listen: 127.0.0.1:1\nupstream: a:9000\n"),
                   "test.yaml:2:11: error: upstream: 'a:9000' is not an http:// or https:// URL");
}

TEST_CASE("a bare listen port must be a port, and a bare admin port is refused") {
  require_rejected(test::load("listen: 70000\nupstream: http://a\n"),
                   "test.yaml:1:9: error: listen: port 70000 is out of range (1 to 65535)");
  require_rejected(test::load("listen: [8080, 8080]\nupstream: http://a\n"),
                   "test.yaml:1:16: error: listen[1]: '0.0.0.0:8080' is listed twice");
  require_rejected(test::load_with_minimal("admin: { listen: 9091 }\n"),
                   "test.yaml:3:18: error: admin.listen: give the address too, e.g. "
                   "127.0.0.1:9091; the admin API must not listen on every address by accident");
}

TEST_CASE("on and true are not a cache-status header name") {
  require_rejected(test::load_with_minimal("cache: { status_header: true }\n"),
                   "error: cache.status_header: expected a header name such as X-Cache, or off; "
                   "found 'true'");
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

void require_message(const LoadResult& r, std::string_view expected) {
  INFO(test::printed(r));
  CHECK_FALSE(r.ok());
  CHECK(test::reports(r, expected));
}

TEST_CASE("a key written in the wrong block points at the block it belongs in") {
  require_message(test::load_with_minimal("access_log: /var/log/etagd/access.log\n"),
                  "test.yaml:3:1: error: access_log: unknown key 'access_log'; did you mean "
                  "'log.access_log'?");
  require_message(test::load_with_minimal("max_memory: 1GiB\n"),
                  "error: max_memory: unknown key 'max_memory'; did you mean 'cache.max_memory'?");
  require_message(test::load_with_minimal("cache: { level: debug }\n"),
                  "error: cache.level: unknown key 'level'; did you mean 'log.level'?");
  // In more than one block: every home is named.
  require_message(test::load_with_minimal("log: { listen: 127.0.0.1:1 }\n"),
                  "error: log.listen: unknown key 'listen'; did you mean 'listen' or "
                  "'admin.listen'?");
}

TEST_CASE("a rule action at the top level says where actions go") {
  require_message(test::load_with_minimal("ttl: 60s\n"),
                  "error: ttl: unknown key 'ttl'; 'ttl' is a rule action: put it under "
                  "`defaults:` for every request, or in a rule");
}

TEST_CASE("connection limits under other servers' names point at limits.max_connections") {
  require_message(test::load_with_minimal("max_conns: 100\n"),
                  "error: max_conns: unknown key 'max_conns'; did you mean "
                  "'limits.max_connections'?");
  require_message(test::load_with_minimal("max_connections: 100\n"),
                  "error: max_connections: unknown key 'max_connections'; did you mean "
                  "'upstream.max_connections' or 'limits.max_connections'?");
  require_message(test::load_with_minimal("limits: { max_conns: 100 }\n"),
                  "error: limits.max_conns: unknown key 'max_conns'; did you mean "
                  "'max_connections'?");
}

TEST_CASE("nginx's max_conns under upstream points at upstream.max_connections") {
  require_message(test::load("listen: 127.0.0.1:1\nupstream: { url: http://a, max_conns: 10 }\n"),
                  "unknown key 'max_conns'; did you mean 'max_connections'? (nginx's "
                  "max_conns; requests in flight to the origin, all workers together)");
}

TEST_CASE("upstream.queue is checked key by key") {
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: { url: http://a, queue: { timeout: 0s } }\n"),
      "error: upstream.queue.timeout: must be longer than 0");
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: { url: http://a, queue: { size: -1 } }\n"),
      "upstream.queue.size");
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: { url: http://a, queue: { length: 5 } }\n"),
      "upstream.queue.length: unknown key 'length'");
}

TEST_CASE("a list of upstream URLs says that several servers go under servers") {
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: [http://10.0.0.7:9000, http://10.0.0.8:9000]\n"),
      "test.yaml:2:11: error: upstream: a list of servers goes under servers: write upstream: "
      "{ servers: [http://10.0.0.7:9000, ...] }, or upstream: http://10.0.0.7:9000 for one");
}

TEST_CASE("upstream.servers: each server checked, url and servers not both, one primary") {
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: { url: http://a, servers: [http://b] }\n"),
      "test.yaml:2:37: error: upstream.servers: give either url (one server) or servers "
      "(several), not both");
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: { servers: [{ url: http://b, weight: 0 }] }\n"),
      "upstream.servers[0].weight");
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: { servers: [{ weight: 2 }] }\n"),
      "a server needs a url");
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: { servers: [http://b, http://b:80] }\n"),
      "upstream.servers[1]: 'http://b:80' is listed twice");
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: { servers: [{ url: http://b, backup: true }] }\n"),
      "every server is a backup");
  require_message(
      test::load("listen: 127.0.0.1:1\nupstream: { servers: [ftp://b] }\n"),
      "upstream.servers[0]: 'ftp://b' is not an http:// or https:// URL");
}

TEST_CASE("upstream.servers reads url, weight and backup, the first server names the upstream") {
  LoadResult r = test::load(
      "listen: 127.0.0.1:1\nupstream:\n  servers:\n    - { url: http://10.0.0.7:9000/v1, weight: 2 }\n"
      "    - http://10.0.0.8\n    - { url: \"http://[::1]:9001\", backup: true }\n");
  INFO(test::printed(r));
  REQUIRE(r.ok());
  const std::vector<UpstreamServerConfig>& s = r.config->upstream.servers;
  REQUIRE(s.size() == 3);
  CHECK(s[0].host == "10.0.0.7");
  CHECK(s[0].base_path == "/v1");
  CHECK(s[0].weight == 2);
  CHECK_FALSE(s[0].backup);
  CHECK(s[1].authority == "10.0.0.8");
  CHECK(s[1].weight == 1);
  CHECK(s[2].authority == "[::1]:9001");
  CHECK(s[2].backup);
  CHECK(r.config->upstream.url == "http://10.0.0.7:9000/v1");
  CHECK(r.config->upstream.host == "10.0.0.7");
}

TEST_CASE("a comma inside an unquoted flow value is explained at the key it created") {
  require_message(
      test::load_with_minimal(
          "rules:\n  - match: { prefix: / }\n    cache_control: { 2xx: max-age=60, "
          "must-revalidate }\n"),
      "rules[0].cache_control.must-revalidate: unknown key 'must-revalidate'; inside { } a comma "
      "ends a value: quote a value that contains commas, e.g. \"max-age=60, must-revalidate\"");
}

}  // namespace
}  // namespace etagd::config

namespace etagd::config {
namespace {

TEST_CASE("two rules with one name are an error at the second, naming the first") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - name: api
    match: { prefix: /api/ }
  - name: api
    match: { prefix: /v2/ }
)");
  INFO(test::printed(r));
  CHECK_FALSE(r.ok());
  CHECK(test::reports(r, "test.yaml:7:11: error: rules[1].name: 'api' is already the name of "
                         "rules[0] (line 5); rule names must be unique"));
}

TEST_CASE("a rule name is not empty and not another rule's position") {
  LoadResult r = test::load_with_minimal(
      "rules:\n  - { name: \"\", match: { path: /a } }\n  - { name: \"rules[0]\", match: { path: /b } }\n"
      "  - { name: \"rules[2]\", match: { path: /c } }\n");
  INFO(test::printed(r));
  CHECK(test::reports(r, "error: rules[0].name: a rule name cannot be empty"));
  CHECK(test::reports(r, "error: rules[1].name: 'rules[0]' is how an unnamed rule is called"));
  CHECK(test::count_errors(r) == 2);  // rules[2] may call itself rules[2]
}

TEST_CASE("glob alternatives in braces are refused with the rules to write instead") {
  LoadResult r = test::load_with_minimal(
      "rules:\n  - match: { glob: \"/static/**.{css,js}\" }\n    ttl: 1h\n");
  INFO(test::printed(r));
  CHECK_FALSE(r.ok());
  CHECK(test::reports(r, "test.yaml:4:20: error: rules[0].match.glob: etagd globs have no {a,b} "
                         "alternatives (only * and **), and the braces would be matched "
                         "literally; write one rule per alternative: glob: /static/**.css, "
                         "glob: /static/**.js"));
}

TEST_CASE("a path template or character class in a glob is refused, naming the wildcard") {
  CHECK(test::reports(
      test::load_with_minimal("rules:\n  - match: { glob: \"/api/items/{id}/export\" }\n"),
      "error: rules[0].match.glob: '{id}' would be matched literally: etagd globs have no path "
      "templates; write glob: /api/items/*/export for any one segment"));
  CHECK(test::reports(test::load_with_minimal("rules:\n  - match: { glob: \"/v[12]/**\" }\n"),
                      "error: rules[0].match.glob: etagd globs have no [...] character classes"));
  CHECK(test::reports(test::load_with_minimal("rules:\n  - match: { glob: \"/a{b\" }\n"),
                      "error: rules[0].match.glob: '{' without a closing '}'"));
}

TEST_CASE("a path template in path or prefix is a warning that suggests the glob") {
  LoadResult r = test::load_with_minimal("rules:\n  - match: { path: \"/api/items/{id}\" }\n");
  INFO(test::printed(r));
  CHECK(r.ok());
  CHECK(test::reports(r, "warning: rules[0].match.path: '{id}' is matched literally here; for "
                         "any value in that segment write glob: /api/items/*"));
}

TEST_CASE("ttl and stale windows on a validate or bypass rule are reported as having no effect") {
  LoadResult r = test::load_with_minimal(R"(
rules:
  - match: { prefix: /live/ }
    cache: validate
    ttl: 60s
  - match: { prefix: /stream/ }
    cache: bypass
    stale_if_error: 1m
)");
  INFO(test::printed(r));
  CHECK(r.ok());
  CHECK(test::reports(r, "test.yaml:7:5: warning: rules[0].ttl: has no effect: cache: validate "
                         "stores nothing, so 'ttl' never applies; remove it, or use cache: store "
                         "to keep responses"));
  CHECK(test::reports(r, "warning: rules[1].stale_if_error: has no effect: cache: bypass stores "
                         "nothing"));
}

TEST_CASE("a ttl inherited from defaults by a validate rule is not reported") {
  LoadResult r = test::load_with_minimal(R"(
defaults:
  ttl: 60s
  key_headers: [Authorization]
rules:
  - match: { prefix: /live/ }
    cache: validate
)");
  INFO(test::printed(r));
  CHECK(r.ok());
  CHECK(r.diagnostics.empty());
}

}  // namespace
}  // namespace etagd::config
