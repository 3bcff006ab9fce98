#include "http/etag.h"

#include <doctest/doctest.h>

using etagd::http::EntityTag;
using etagd::http::if_none_match_matches;
using etagd::http::next_entity_tag;
using etagd::http::parse_entity_tag;
using etagd::http::strong_match;
using etagd::http::weak_match;

namespace {

EntityTag tag(std::string_view text) {
  EntityTag t;
  REQUIRE(parse_entity_tag(text, t));
  return t;
}

bool parses(std::string_view text) {
  EntityTag t;
  return parse_entity_tag(text, t);
}

}  // namespace

TEST_CASE("a strong entity-tag keeps its quotes in opaque") {
  EntityTag t = tag("\"xyzzy\"");
  CHECK(!t.weak);
  CHECK(t.opaque == "\"xyzzy\"");
}

TEST_CASE("W/ marks a weak entity-tag and is not part of opaque") {
  EntityTag t = tag("W/\"xyzzy\"");
  CHECK(t.weak);
  CHECK(t.opaque == "\"xyzzy\"");
}

TEST_CASE("an entity-tag may be empty and may hold backslash, comma and obs-text") {
  CHECK(tag("\"\"").opaque == "\"\"");
  CHECK(tag("\"a\\b\"").opaque == "\"a\\b\"");
  CHECK(tag("\"a,b\"").opaque == "\"a,b\"");
  CHECK(tag("\"caf\xc3\xa9\"").opaque == "\"caf\xc3\xa9\"");
  CHECK(tag("  \"padded\"\t").opaque == "\"padded\"");
}

TEST_CASE("malformed entity-tags are rejected") {
  CHECK(!parses(""));
  CHECK(!parses("xyzzy"));    // no quotes
  CHECK(!parses("\"xyzzy"));  // unterminated
  CHECK(!parses("xyzzy\""));
  CHECK(!parses("\"a\"b\""));     // DQUOTE inside
  CHECK(!parses("\"a\" \"b\""));  // two tags
  CHECK(!parses("w/\"a\""));      // weak prefix is case-sensitive
  CHECK(!parses("W/ \"a\""));     // nothing between W/ and the quote
  CHECK(!parses("W\"a\""));
  CHECK(!parses("\"a b\""));  // SP is not etagc
  CHECK(!parses("\"a\tb\""));
  CHECK(!parses("\"a\x7f\""));  // DEL
  CHECK(!parses("\"a\x01\""));
  CHECK(!parses("*"));
}

TEST_CASE("a failed parse leaves the output untouched") {
  EntityTag t = tag("W/\"keep\"");
  CHECK(!parse_entity_tag("\"broken", t));
  CHECK(t.weak);
  CHECK(t.opaque == "\"keep\"");
}

TEST_CASE("strong and weak comparison follow the RFC 9110 §8.8.3.2 table") {
  // ETag 1    ETag 2    Strong  Weak
  // W/"1"     W/"1"     no      match
  // W/"1"     W/"2"     no      no
  // W/"1"     "1"       no      match
  // "1"       "1"       match   match
  CHECK(!strong_match(tag("W/\"1\""), tag("W/\"1\"")));
  CHECK(weak_match(tag("W/\"1\""), tag("W/\"1\"")));
  CHECK(!strong_match(tag("W/\"1\""), tag("W/\"2\"")));
  CHECK(!weak_match(tag("W/\"1\""), tag("W/\"2\"")));
  CHECK(!strong_match(tag("W/\"1\""), tag("\"1\"")));
  CHECK(weak_match(tag("W/\"1\""), tag("\"1\"")));
  CHECK(strong_match(tag("\"1\""), tag("\"1\"")));
  CHECK(weak_match(tag("\"1\""), tag("\"1\"")));
}

TEST_CASE("opaque tags compare byte for byte, case-sensitively") {
  CHECK(!weak_match(tag("\"abc\""), tag("\"ABC\"")));
  CHECK(!strong_match(tag("\"abc\""), tag("\"abcd\"")));
  CHECK(strong_match(tag("\"ab\\c\""), tag(" \"ab\\c\"")));
}

TEST_CASE("If-None-Match * matches any current representation") {
  CHECK(if_none_match_matches("*", "\"anything\""));
  CHECK(if_none_match_matches(" * ", "W/\"weak\""));
  CHECK(if_none_match_matches("*", ""));  // a representation without a tag still exists
}

TEST_CASE("If-None-Match matches when one listed tag equals the current one") {
  CHECK(if_none_match_matches("\"a\"", "\"a\""));
  CHECK(if_none_match_matches("\"x\", \"a\"", "\"a\""));
  CHECK(if_none_match_matches("\"x\",\"y\",\"a\"", "\"a\""));
  CHECK(!if_none_match_matches("\"x\", \"y\"", "\"a\""));
  CHECK(!if_none_match_matches("\"A\"", "\"a\""));
}

TEST_CASE("If-None-Match uses the weak comparison") {
  CHECK(if_none_match_matches("W/\"a\"", "\"a\""));
  CHECK(if_none_match_matches("\"a\"", "W/\"a\""));
  CHECK(if_none_match_matches("W/\"a\"", "W/\"a\""));
  CHECK(if_none_match_matches("\"x\", W/\"a\"", "\"a\""));
}

TEST_CASE("If-None-Match list members may contain commas and backslashes") {
  CHECK(if_none_match_matches("\"a,b\"", "\"a,b\""));
  CHECK(!if_none_match_matches("\"a,b\"", "\"a\""));
  CHECK(!if_none_match_matches("\"a,b\"", "\"b\""));
  CHECK(if_none_match_matches("\"x\\\", \"y\"", "\"y\""));  // "x\" then "y"
  CHECK(if_none_match_matches("\"x\\\", \"y\"", "\"x\\\""));
}

TEST_CASE("If-None-Match tolerates empty list elements and OWS") {
  CHECK(if_none_match_matches(", , \"a\" ,", "\"a\""));
  CHECK(if_none_match_matches("\t\"x\"\t,\t\"a\"\t", "\"a\""));
}

TEST_CASE("invalid If-None-Match members are skipped and the rest still count") {
  CHECK(if_none_match_matches("a, \"a\"", "\"a\""));
  CHECK(if_none_match_matches("*, \"a\"", "\"a\""));
  CHECK(if_none_match_matches("\"bad\"junk, \"a\"", "\"a\""));
  CHECK(if_none_match_matches("w/\"a\", W/\"a\"", "\"a\""));
  CHECK(!if_none_match_matches("w/\"a\"", "\"a\""));
  CHECK(!if_none_match_matches("\"bad\"junk", "\"bad\""));
  CHECK(!if_none_match_matches("\"a\" \"a\"", "\"a\""));
}

TEST_CASE("an empty or unparseable If-None-Match never matches") {
  CHECK(!if_none_match_matches("", "\"a\""));
  CHECK(!if_none_match_matches("   ", "\"a\""));
  CHECK(!if_none_match_matches(",", "\"a\""));
  CHECK(!if_none_match_matches("a", "\"a\""));
  CHECK(!if_none_match_matches("\"a", "\"a\""));
  CHECK(!if_none_match_matches("**", "\"a\""));
}

TEST_CASE("a current ETag that is not an entity-tag matches nothing but *") {
  CHECK(!if_none_match_matches("\"a\"", "a"));
  CHECK(!if_none_match_matches("\"a\"", ""));
  CHECK(!if_none_match_matches("\"\"", ""));
}

TEST_CASE("next_entity_tag walks a list's valid tags in order and skips invalid members") {
  std::string_view list = " \"a\", junk, W/\"b\" ,, \"c,d\"";
  size_t pos = 0;
  EntityTag tag;
  REQUIRE(next_entity_tag(list, pos, tag));
  CHECK(tag.opaque == "\"a\"");
  REQUIRE(next_entity_tag(list, pos, tag));
  CHECK(tag.weak);
  CHECK(tag.opaque == "\"b\"");
  REQUIRE(next_entity_tag(list, pos, tag));
  CHECK(tag.opaque == "\"c,d\"");
  CHECK_FALSE(next_entity_tag(list, pos, tag));
  CHECK(pos == list.size());
}
