// `compress` under defaults and rules: the block as users write it, its defaults, inheritance,
// and an error naming file:line for each value etagd cannot use.
#include <doctest/doctest.h>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using http::ContentCoding;
using test::load_with_minimal;
using test::printed;
using test::reports;
using test::require_error;

CompressPolicy enabled_policy() {
  CompressPolicy p;
  p.enabled = true;
  return p;
}

}  // namespace

TEST_CASE("the compress block of the documentation is read as written") {
  LoadResult r = load_with_minimal(R"(defaults:
  compress:
    encodings: [br, zstd, gzip]
    types: [application/json, "text/*", application/javascript, application/xml, image/svg+xml]
    min_size: 512B
    level: { br: 5, zstd: 6, gzip: 6 }
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  const CompressPolicy& p = r.config->rules.defaults().compress;
  CHECK(p.enabled);
  CHECK(p.encodings == std::vector{ContentCoding::Br, ContentCoding::Zstd, ContentCoding::Gzip});
  CHECK(p.types == std::vector<std::string>{"application/json", "text/*", "application/javascript",
                                            "application/xml", "image/svg+xml"});
  CHECK(p.min_size == 512);
  CHECK(p.level(ContentCoding::Br) == 5);
  CHECK(p.level(ContentCoding::Zstd) == 6);
  CHECK(p.level(ContentCoding::Gzip) == 6);
}

TEST_CASE("compress is off unless configured, on and a partial block take the documented values") {
  LoadResult none = load_with_minimal("");
  REQUIRE(none.ok());
  CHECK_FALSE(none.config->rules.defaults().compress.enabled);

  LoadResult on = load_with_minimal("defaults: { compress: on }\n");
  REQUIRE(on.ok());
  CHECK(on.config->rules.defaults().compress == enabled_policy());

  LoadResult partial = load_with_minimal(
      "defaults:\n  compress: { encodings: [gzip], level: { gzip: 9 }, min_size: 1KiB }\n");
  INFO(printed(partial));
  REQUIRE(partial.ok());
  const CompressPolicy& p = partial.config->rules.defaults().compress;
  CHECK(p.encodings == std::vector{ContentCoding::Gzip});
  CHECK(p.level(ContentCoding::Gzip) == 9);
  CHECK(p.level(ContentCoding::Br) == 5);
  CHECK(p.min_size == 1024);
  CHECK(p.types == CompressPolicy{}.types);
}

TEST_CASE("a rule's compress block changes what it inherits, and off turns it off") {
  LoadResult r = load_with_minimal(R"(defaults:
  compress: { encodings: [zstd, gzip], min_size: 2KiB }
rules:
  - match: { prefix: /a/ }
    compress: { min_size: 64B }
  - match: { prefix: /b/ }
    compress: off
  - match: { prefix: /c/ }
)");
  INFO(printed(r));
  REQUIRE(r.ok());
  const auto& rules = r.config->rules.rules();
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].actions.compress.enabled);
  CHECK(rules[0].actions.compress.min_size == 64);
  CHECK(rules[0].actions.compress.encodings == std::vector{ContentCoding::Zstd, ContentCoding::Gzip});
  CHECK_FALSE(rules[1].actions.compress.enabled);
  CHECK(rules[2].actions.compress == r.config->rules.defaults().compress);
}

TEST_CASE("compress values etagd cannot use are errors at their line") {
  require_error(load_with_minimal("defaults:\n  compress: { encodings: [br, deflate] }\n"),
                "test.yaml:4:31: error: defaults.compress.encodings[1]: 'deflate' is not a coding "
                "etagd produces; write br, zstd or gzip");
  require_error(load_with_minimal("defaults:\n  compress: { encodings: [gzip, gzip] }\n"),
                "'gzip' is listed twice");
  require_error(load_with_minimal("defaults:\n  compress: { encodings: [] }\n"),
                "no encodings: write `compress: off` to compress nothing");
  require_error(load_with_minimal("defaults:\n  compress: { types: [json] }\n"),
                "test.yaml:4:23: error: defaults.compress.types[0]: 'json' is not a media type");
  require_error(load_with_minimal("defaults:\n  compress: { types: [\"*/*\"] }\n"),
                "only the subtype may be *");
  require_error(load_with_minimal("defaults:\n  compress: { types: [\"text/html; charset=utf-8\"] }\n"),
                "is not a media type");
  require_error(load_with_minimal("defaults:\n  compress: { level: { br: 12 } }\n"),
                "defaults.compress.level.br");
  require_error(load_with_minimal("defaults:\n  compress: { level: { gzip: 0 } }\n"),
                "defaults.compress.level.gzip");
  require_error(load_with_minimal("defaults:\n  compress: { level: { lz4: 1 } }\n"),
                "unknown key 'lz4'");
  require_error(load_with_minimal("defaults:\n  compress: { min_size: lots }\n"),
                "'lots' is not a size");
  require_error(load_with_minimal("defaults:\n  compress: { encoding: [br] }\n"),
                "did you mean 'encodings'?");
}

TEST_CASE("media types match by type and subtype, any case, parameters ignored") {
  CompressPolicy p = enabled_policy();
  CHECK(p.compresses_type("application/json"));
  CHECK(p.compresses_type("Application/JSON; charset=utf-8"));
  CHECK(p.compresses_type("text/html"));
  CHECK(p.compresses_type("text/csv;charset=utf-8"));
  CHECK(p.compresses_type("image/svg+xml"));
  CHECK_FALSE(p.compresses_type("image/png"));
  CHECK_FALSE(p.compresses_type("application/jsonx"));
  CHECK_FALSE(p.compresses_type("textual/plain"));
  CHECK_FALSE(p.compresses_type(""));
  CHECK_FALSE(p.compresses_type("text"));
}

}  // namespace etagd::config
