#include "http/byte_range.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using etagd::http::ByteRange;
using etagd::http::ContentRange;
using etagd::http::if_range_matches;
using etagd::http::parse_content_range;
using etagd::http::RangeRequest;
using etagd::http::resolve_range;

namespace {

using Outcome = RangeRequest::Outcome;

std::vector<ByteRange> ranges(std::string_view value, uint64_t length) {
  RangeRequest r = resolve_range(value, length);
  REQUIRE(r.outcome == Outcome::Satisfiable);
  return r.ranges;
}

Outcome outcome(std::string_view value, uint64_t length) {
  return resolve_range(value, length).outcome;
}

}  // namespace

TEST_CASE("byte ranges of a 1000-byte representation") {
  CHECK(ranges("bytes=0-99", 1000) == std::vector<ByteRange>{{0, 99}});
  CHECK(ranges("bytes=500-", 1000) == std::vector<ByteRange>{{500, 999}});     // open range
  CHECK(ranges("bytes=-200", 1000) == std::vector<ByteRange>{{800, 999}});     // suffix range
  CHECK(ranges("bytes=-5000", 1000) == std::vector<ByteRange>{{0, 999}});      // suffix too long
  CHECK(ranges("bytes=900-5000", 1000) == std::vector<ByteRange>{{900, 999}}); // clipped
  CHECK(ranges("bytes=999-999", 1000) == std::vector<ByteRange>{{999, 999}});
  CHECK(ranges("Bytes = 0-0", 1000) == std::vector<ByteRange>{{0, 0}});
}

TEST_CASE("several ranges come back in order, overlapping and adjacent ones merged") {
  CHECK(ranges("bytes=0-9,20-29", 1000) == std::vector<ByteRange>{{0, 9}, {20, 29}});
  CHECK(ranges("bytes=20-29, 0-9", 1000) == std::vector<ByteRange>{{0, 9}, {20, 29}});
  CHECK(ranges("bytes=0-50,40-99", 1000) == std::vector<ByteRange>{{0, 99}});  // overlapping
  CHECK(ranges("bytes=0-9,10-19", 1000) == std::vector<ByteRange>{{0, 19}});   // adjacent
  CHECK(ranges("bytes=0-9,-10", 1000) == std::vector<ByteRange>{{0, 9}, {990, 999}});
  CHECK(ranges("bytes=0-9,2000-", 1000) == std::vector<ByteRange>{{0, 9}});  // one unsatisfiable
}

TEST_CASE("ranges past the end are unsatisfiable") {
  CHECK(outcome("bytes=1000-", 1000) == Outcome::Unsatisfiable);
  CHECK(outcome("bytes=1000-2000", 1000) == Outcome::Unsatisfiable);
  CHECK(outcome("bytes=-0", 1000) == Outcome::Unsatisfiable);
  CHECK(outcome("bytes=0-", 0) == Outcome::Unsatisfiable);  // an empty representation
  CHECK(outcome("bytes=-10", 0) == Outcome::Unsatisfiable);
}

TEST_CASE("a malformed Range or another unit is ignored") {
  for (const char* v : {"", "bytes", "bytes=", "bytes=abc", "bytes=5-1", "bytes=1-2-3",
                        "bytes=-", "items=0-1", "bytes=0-9,x", "bytes=99999999999999999999-",
                        "bytes=+1-2"}) {
    CAPTURE(v);
    CHECK(outcome(v, 1000) == Outcome::Ignored);
  }
}

TEST_CASE("too many ranges are answered with the whole representation") {
  std::string many = "bytes=";
  for (int i = 0; i < 20; ++i) many += std::to_string(i * 10) + "-" + std::to_string(i * 10) + ",";
  many.pop_back();
  CHECK(outcome(many, 1000) == Outcome::Ignored);
}

TEST_CASE("If-Range: a strong ETag that matches, or the exact Last-Modified") {
  const int64_t lm = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(if_range_matches("\"abc\"", "\"abc\"", std::nullopt));
  CHECK(!if_range_matches("\"abd\"", "\"abc\"", std::nullopt));
  CHECK(!if_range_matches("W/\"abc\"", "\"abc\"", std::nullopt));  // weak never matches
  CHECK(!if_range_matches("\"abc\"", "W/\"abc\"", std::nullopt));
  CHECK(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", "\"abc\"", lm));
  CHECK(!if_range_matches("Sun, 06 Nov 1994 08:49:38 GMT", "\"abc\"", lm));
  CHECK(!if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", "\"abc\"", std::nullopt));
  CHECK(!if_range_matches("garbage", "\"abc\"", lm));
  CHECK(!if_range_matches("", "\"abc\"", lm));
}

TEST_CASE("Content-Range of a 206: a byte range with its complete length, or * when unknown") {
  std::optional<ContentRange> r = parse_content_range("bytes 0-9/100");
  REQUIRE(r);
  CHECK(r->range == ByteRange{0, 9});
  CHECK(r->complete_length == 100);
  r = parse_content_range("bytes 0-9/*");
  REQUIRE(r);
  CHECK_FALSE(r->complete_length);
  CHECK_FALSE(parse_content_range("bytes */100"));     // the 416 form
  CHECK_FALSE(parse_content_range("bytes 9-0/100"));   // last before first
  CHECK_FALSE(parse_content_range("bytes 0-100/100")); // past the complete length
  CHECK_FALSE(parse_content_range("items 0-9/100"));
  CHECK_FALSE(parse_content_range("bytes 0-9"));
}
