// RFC 8941 Dictionaries, with the examples of §3.2 and the failure rules of §4.2.
#include "http/structured_dictionary.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using etagd::http::DictionaryMember;
using etagd::http::parse_structured_dictionary;
using Type = DictionaryMember::Type;

namespace {

std::vector<DictionaryMember> parse_ok(std::string_view value) {
  std::vector<DictionaryMember> out;
  bool ok = parse_structured_dictionary(value, out);
  INFO(value);
  REQUIRE(ok);
  return out;
}

bool invalid(std::string_view value) {
  std::vector<DictionaryMember> out{DictionaryMember{}};
  bool ok = parse_structured_dictionary(value, out);
  return !ok && out.empty();
}

}  // namespace

TEST_CASE("RFC 8941 §3.2: a string and a byte sequence member parse") {
  auto d = parse_ok(R"(en="Applepie", da=:w4ZibGV0w6ZydGU=:)");
  REQUIRE(d.size() == 2);
  CHECK(d[0].key == "en");
  CHECK(d[0].type == Type::String);
  CHECK(d[0].string == "Applepie");
  CHECK(d[1].key == "da");
  CHECK(d[1].type == Type::ByteSequence);
}

TEST_CASE("RFC 8941 §3.2: a member without a value is the Boolean true, parameters are dropped") {
  auto d = parse_ok("a=?0, b, c; foo=bar");
  REQUIRE(d.size() == 3);
  CHECK(d[0].type == Type::Boolean);
  CHECK(!d[0].boolean);
  CHECK(d[1].type == Type::Boolean);
  CHECK(d[1].boolean);
  CHECK(d[2].key == "c");
  CHECK(d[2].boolean);
}

TEST_CASE("RFC 8941 §3.2: decimals and inner lists are members") {
  auto d = parse_ok("rating=1.5, feelings=(joy sadness)");
  REQUIRE(d.size() == 2);
  CHECK(d[0].type == Type::Decimal);
  CHECK(d[1].type == Type::InnerList);
  auto e = parse_ok("a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid");
  REQUIRE(e.size() == 4);
  CHECK(e[1].type == Type::Integer);
  CHECK(e[1].integer == 3);
  CHECK(e[2].integer == 4);
  CHECK(e[3].type == Type::InnerList);
}

TEST_CASE("RFC 8941 §4.2.3.3: tokens, negative integers and escaped strings parse") {
  auto d = parse_ok(R"(max-age=60, t=foo/bar:baz, n=-5, s="a \"q\" \\ b", *x=*)");
  REQUIRE(d.size() == 5);
  CHECK(d[0].integer == 60);
  CHECK(d[1].type == Type::Token);
  CHECK(d[1].token == "foo/bar:baz");
  CHECK(d[2].integer == -5);
  CHECK(d[3].string == R"(a "q" \ b)");
  CHECK(d[4].key == "*x");
  CHECK(d[4].token == "*");
}

TEST_CASE("RFC 8941 §4.2.2: a key seen again replaces the earlier value") {
  auto d = parse_ok("a=1, b=2, a=3");
  REQUIRE(d.size() == 2);
  CHECK(d[0].key == "a");
  CHECK(d[0].integer == 3);
}

TEST_CASE("RFC 8941 §4.2: leading and trailing spaces and tabs around commas are allowed") {
  auto d = parse_ok("  a=1 ,\tb  ");
  CHECK(d.size() == 2);
  CHECK(parse_ok("").empty());
}

TEST_CASE("RFC 8941 §4.2: a value that is not a Dictionary fails whole") {
  CHECK(invalid("a=1,"));            // trailing comma
  CHECK(invalid("a=1,,b=2"));        // empty member
  CHECK(invalid("a=1 b=2"));         // members not separated by a comma
  CHECK(invalid("Max-Age=60"));      // keys are lowercase
  CHECK(invalid("=1"));              // no key
  CHECK(invalid("a=1234567890123456"));  // integers have at most 15 digits
  CHECK(invalid("a=1.1234"));        // decimals have at most 3 fractional digits
  CHECK(invalid("a=1."));            // nor end in the dot
  CHECK(invalid("a=1234567890123.5"));  // nor more than 12 integer digits
  CHECK(invalid(R"(a="open)"));      // unterminated string
  CHECK(invalid(R"(a="\x")"));       // only \" and \\ are escapes
  CHECK(invalid("a=?2"));            // booleans are ?0 or ?1
  CHECK(invalid("a=:abc"));          // unterminated byte sequence
  CHECK(invalid("a=(1 2"));          // unterminated inner list
  CHECK(invalid("a=1;B=2"));         // parameter keys are lowercase too
  CHECK(invalid("a=\"caf\xc3\xa9\""));  // strings are printable ASCII
  CHECK(invalid("a=@"));             // not a bare item
  CHECK(invalid("\ta=1"));           // only SP may lead
}
