#include "cache/partial_content.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using etagd::cache::add_part;
using etagd::cache::CacheEntry;
using etagd::cache::EntryRef;
using etagd::cache::partial_of;
using etagd::cache::put_parts;
using etagd::cache::ResponseToStore;
using etagd::cache::covers;
using etagd::cache::is_complete;
using etagd::cache::PartialContent;
using etagd::cache::PartValidator;
using etagd::cache::slice;
using etagd::cache::stored_bytes;
using etagd::cache::strong_validator;
using etagd::http::ByteRange;

namespace {

// The representation the parts are cut from: byte i is 'a' + i % 26.
const std::string kBody = [] {
  std::string s;
  for (int i = 0; i < 100; ++i) s += static_cast<char>('a' + i % 26);
  return s;
}();

PartialContent content_with(std::vector<std::pair<uint64_t, uint64_t>> ranges) {
  PartialContent c;
  c.complete_length = kBody.size();
  for (auto [first, last] : ranges) add_part(c, first, std::string_view(kBody).substr(first, last - first + 1));
  return c;
}

std::vector<std::pair<uint64_t, uint64_t>> stored(const PartialContent& c) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& p : c.parts) {
    CHECK(p.bytes == kBody.substr(p.first, p.bytes.size()));
    out.emplace_back(p.first, p.last());
  }
  return out;
}

using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

}  // namespace

TEST_CASE("parts are kept in ascending order, disjoint ones apart") {
  CHECK(stored(content_with({{50, 59}, {0, 9}, {20, 29}})) == Ranges{{0, 9}, {20, 29}, {50, 59}});
}

TEST_CASE("a part that touches another is merged into one") {
  CHECK(stored(content_with({{0, 9}, {10, 19}})) == Ranges{{0, 19}});
  CHECK(stored(content_with({{10, 19}, {0, 9}})) == Ranges{{0, 19}});
}

TEST_CASE("overlapping parts merge, and one part may join several") {
  CHECK(stored(content_with({{0, 9}, {5, 14}})) == Ranges{{0, 14}});
  CHECK(stored(content_with({{0, 9}, {20, 29}, {40, 49}, {5, 44}})) == Ranges{{0, 49}});
  CHECK(stored(content_with({{0, 49}, {10, 19}})) == Ranges{{0, 49}});  // inside: no change
  CHECK(stored(content_with({{10, 19}, {0, 49}})) == Ranges{{0, 49}});  // around: replaces
}

TEST_CASE("where a new part overlaps stored bytes, the new bytes are kept") {
  PartialContent c;
  c.complete_length = 10;
  add_part(c, 0, "aaaaa");
  add_part(c, 3, "bbbbb");
  REQUIRE(c.parts.size() == 1);
  CHECK(c.parts.front().bytes == "aaabbbbb");
}

TEST_CASE("a range is covered only when every byte of it is stored") {
  PartialContent c = content_with({{0, 9}, {20, 29}});
  CHECK(covers(c, ByteRange{0, 9}));
  CHECK(covers(c, ByteRange{22, 25}));
  CHECK_FALSE(covers(c, ByteRange{5, 22}));  // the gap 10-19 is missing
  CHECK_FALSE(covers(c, ByteRange{25, 30}));
  CHECK_FALSE(covers(c, ByteRange{10, 10}));
  CHECK_FALSE(covers(PartialContent{}, ByteRange{0, 0}));
  CHECK(slice(c, ByteRange{22, 25}) == kBody.substr(22, 4));
}

TEST_CASE("the parts are complete when they are the whole representation") {
  CHECK_FALSE(is_complete(content_with({{0, 49}})));
  CHECK_FALSE(is_complete(content_with({{0, 49}, {51, 99}})));
  PartialContent c = content_with({{0, 49}, {50, 99}});
  CHECK(is_complete(c));
  CHECK(c.parts.front().bytes == kBody);
  CHECK(stored_bytes(c) == kBody.size());
}

TEST_CASE("RFC 9111 §3.4: only a strong validator lets parts combine") {
  CHECK(strong_validator("\"v1\"", std::nullopt, std::nullopt) == PartValidator{"\"v1\"", {}});
  CHECK_FALSE(strong_validator("W/\"v1\"", 1000, 2000));  // weak: Last-Modified does not help
  CHECK_FALSE(strong_validator("garbage", std::nullopt, std::nullopt));
  // RFC 9110 §8.8.2.2: Last-Modified is strong when the Date is at least a second later.
  CHECK(strong_validator("", 1000, 1001) == PartValidator{"", 1000});
  CHECK_FALSE(strong_validator("", 1000, 1000));
  CHECK_FALSE(strong_validator("", 1000, std::nullopt));
  CHECK_FALSE(strong_validator("", std::nullopt, std::nullopt));
  CHECK_FALSE(strong_validator("\"v1\"", {}, {}) == strong_validator("\"v2\"", {}, {}));
}

TEST_CASE("a partial entry keeps its parts, complete length and validator, and gives them back") {
  PartialContent c = content_with({{0, 9}, {40, 59}});
  c.header_block = "ETag: \"v1\"\r\nContent-Type: text/plain\r\n";
  ResponseToStore r;
  r.status = 206;
  r.header_block = c.header_block;
  r.etag = "\"v1\"";
  put_parts(std::move(c), r);
  CHECK(r.body == kBody.substr(0, 10) + kBody.substr(40, 20));
  EntryRef e = CacheEntry::make("h/p", std::move(r));
  REQUIRE(e->part_count() == 2);
  CHECK(e->complete_length() == kBody.size());
  CHECK(e->part(1).first == 40);
  CHECK(e->part(1).bytes == kBody.substr(40, 20));
  CHECK(e->charge() > 30 + sizeof(CacheEntry));

  PartialContent back = partial_of(*e);
  CHECK(stored(back) == Ranges{{0, 9}, {40, 59}});
  CHECK(back.complete_length == kBody.size());
  CHECK(back.validator == PartValidator{"\"v1\"", {}});
  CHECK(back.header_block == "ETag: \"v1\"\r\nContent-Type: text/plain\r\n");
}

TEST_CASE("an entry of a whole response has no parts") {
  ResponseToStore r;
  r.body = "whole";
  EntryRef e = CacheEntry::make("h/w", std::move(r));
  CHECK(e->part_count() == 0);
  CHECK(e->complete_length() == 0);
  CHECK(e->body() == "whole");
}
