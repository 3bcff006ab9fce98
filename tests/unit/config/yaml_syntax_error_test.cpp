// A file that is not valid YAML: one error at the offending character, saying what YAML
// expected there and, when the value only needed quotes, the line as it should be written.
#include <doctest/doctest.h>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::load;
using test::load_with_minimal;
using test::printed;

// The only diagnostic, printed.
std::string the_error(const LoadResult& r) {
  INFO(printed(r));
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  return r.diagnostics[0].to_string();
}

TEST_CASE("an unquoted '?' in a flow mapping names the character and shows the quoted value") {
  CHECK(the_error(load_with_minimal("rules:\n  - match: { prefix: /a?b }\n")) ==
        "test.yaml:4:24: error: YAML syntax: '?' inside { } or [ ] is read as YAML's key marker, "
        "not as part of a value; quote the value: prefix: \"/a?b\"");
}

TEST_CASE("a value starting with '*' is explained as an alias, with the quoted wildcard") {
  CHECK(the_error(load_with_minimal("rules:\n  - match: { host: *.example.com }\n")) ==
        "test.yaml:4:20: error: YAML syntax: a value starting with '*' is an alias in YAML (a "
        "reference to an &anchor), and no anchor of that name is defined; a value such as "
        "*.example.com must be quoted; quote the value: host: \"*.example.com\"");
  CHECK(the_error(load_with_minimal("rules:\n  - match:\n      host: *.example.com\n"))
            .find("quote the value: host: \"*.example.com\"") != std::string::npos);
}

TEST_CASE("characters reserved by YAML at the start of a value ask for quotes") {
  CHECK(the_error(load_with_minimal("cache: { status_header: @edge }\n")) ==
        "test.yaml:3:25: error: YAML syntax: '@' is reserved in YAML and cannot start a plain "
        "value; quote the value: status_header: \"@edge\"");
  CHECK(the_error(load_with_minimal("defaults:\n  headers: { set: { X-Tag: %v } }\n"))
            .find("'%' starts a YAML directive and cannot start a plain value; quote the value: "
                  "X-Tag: \"%v\"") != std::string::npos);
}

TEST_CASE("an unclosed flow mapping or list names where it was opened and what YAML expected") {
  CHECK(the_error(load("listen: 127.0.0.1:1\nupstream: { url: http://a\nworkers: 2\n")) ==
        "test.yaml:3:8: error: YAML syntax: the '{' opened at line 2 column 11 is not closed: "
        "YAML expected ',' or '}' here; a value inside brackets that contains ':', '?', '{', '[' "
        "or ',' must be quoted");
  CHECK(the_error(load("listen: [127.0.0.1:1\nupstream: http://a\n"))
            .starts_with("test.yaml:2:9: error: YAML syntax: the '[' opened at line 1 column 9 "
                         "is not closed: YAML expected ',' or ']' here"));
}

TEST_CASE("a ': ' inside a flow value is shown quoted") {
  CHECK(the_error(load_with_minimal("defaults:\n  headers: { set: { X-Note: a: b } }\n"))
            .find("quote the value: X-Note: \"a: b\"") != std::string::npos);
}

TEST_CASE("a ': ' inside a block value asks for quotes or an indentation fix") {
  CHECK(the_error(load_with_minimal("log: { level: info }\nworkers: auto: 2\n")) ==
        "test.yaml:4:14: error: YAML syntax: ': ' starts a mapping where none can start; if ': ' "
        "is part of the value, quote it; if this is a new key, indent it like the keys beside "
        "it; quote the value: workers: \"auto: 2\"");
}

TEST_CASE("a line indented out of step with its mapping is an indentation error") {
  CHECK(the_error(load_with_minimal("cache:\n  shards: 8\n max_memory: 1GiB\n"))
            .find("YAML syntax: this line's indentation does not fit the mapping above it")
            != std::string::npos);
}

TEST_CASE("a tab in the indentation is named as such") {
  CHECK(the_error(load_with_minimal("cache:\n  shards: 8\n\tmax_memory: 1GiB\n")) ==
        "test.yaml:5:1: error: YAML syntax: this line is indented with a tab, and YAML indents "
        "with spaces only; replace the tab with spaces");
  CHECK(the_error(load_with_minimal("cache:\n\tshards: 8\n")) ==
        "test.yaml:4:1: error: YAML syntax: this line is indented with a tab, and YAML indents "
        "with spaces only; replace the tab with spaces");
}

TEST_CASE("a closing bracket without an opening one is named") {
  CHECK(the_error(load_with_minimal("cache: { shards: 8 }}\n")) ==
        "test.yaml:3:21: error: YAML syntax: '}' closes a bracket that was never opened");
}

TEST_CASE("a quoted '?' or '*' inside brackets is no syntax error") {
  LoadResult r = load_with_minimal(
      "rules:\n  - match: { prefix: \"/a?b\", host: \"*.example.com\" }\n    cache: bypass\n");
  INFO(printed(r));
  // The path itself is then refused for its query, which is a config error, not a YAML one.
  CHECK(test::reports(r, "rules[0].match.prefix: paths are matched without the query string"));
  CHECK_FALSE(test::reports(r, "YAML syntax"));
}

}  // namespace
}  // namespace etagd::config
