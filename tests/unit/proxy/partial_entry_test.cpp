// Partial entries in the exchange's decisions (RFC 9111 §3.3-3.4, `range: forward`): which
// Range misses go to the origin with their Range, which requests a stored 206 answers, which
// 206s are stored, and how a new part combines with the stored ones.
#include "proxy/partial_entry.h"

#include <doctest/doctest.h>

#include <string>

#include "cache/partial_content.h"
#include "http/cache_control.h"
#include "parsed_message.h"
#include "proxy/decide.h"
#include "unit/wall_time.h"

using etagd::testing::at;
using namespace std::chrono_literals;

using etagd::cache::CacheEntry;
using etagd::cache::EntryRef;
using etagd::cache::PartialContent;
using etagd::cache::ResponseToStore;
using etagd::config::RangePolicy;
using etagd::config::RuleActions;
using etagd::http::ByteRange;
using etagd::ops::CacheStatus;
using etagd::proxy::combine;
using etagd::proxy::decide;
using etagd::proxy::forwards_range;
using etagd::proxy::HeadContext;
using etagd::proxy::HeadPlan;
using etagd::proxy::held_bytes;
using etagd::proxy::Lookup;
using etagd::proxy::partial_covers;
using etagd::proxy::Plan;
using etagd::proxy::plan_for_head;
using etagd::proxy::plan_partial;
using etagd::proxy::Purpose;
using etagd::proxy::RangeAnswer;
using etagd::proxy::storable_part;
using etagd::proxy::StorablePart;
using etagd::proxy::testing::ParsedRequest;
using etagd::proxy::testing::ParsedResponse;

namespace {

const std::string kBody = [] {
  std::string s;
  for (int i = 0; i < 100; ++i) s += static_cast<char>('a' + i % 26);
  return s;
}();

RuleActions forwarding() {
  RuleActions a;
  a.range = RangePolicy::Forward;
  return a;
}

std::string get_with(const std::string& fields) {
  return "GET /doc HTTP/1.1\r\nHost: example.com\r\n" + fields;
}

// A partial entry of kBody holding [first, last] pairs, ETag "v1", fresh for 60 s from t=1000.
EntryRef partial(std::vector<std::pair<uint64_t, uint64_t>> ranges, std::string etag = "\"v1\"") {
  PartialContent c;
  c.complete_length = kBody.size();
  for (auto [first, last] : ranges) {
    etagd::cache::add_part(c, first, std::string_view(kBody).substr(first, last - first + 1));
  }
  ResponseToStore r;
  r.status = 206;
  r.header_block = "ETag: " + etag + "\r\n";
  r.etag = etag;
  r.etag_from_upstream = true;
  r.freshness.request_time = r.freshness.response_time = r.freshness.date_value = at(1000);
  r.freshness.lifetime = 60s;
  etagd::cache::put_parts(std::move(c), r);
  return CacheEntry::make("example.com/doc", std::move(r));
}

Plan decide_with(const std::string& request, const EntryRef& entry, int64_t now = 1010) {
  ParsedRequest req(request);
  Lookup lookup;
  lookup.entry = entry.get();
  return decide(req, forwarding(), &lookup, at(now));
}

}  // namespace

TEST_CASE("range: forward sends one valid Range of a GET to the origin, anything else is whole") {
  CHECK(forwards_range(ParsedRequest(get_with("Range: bytes=0-9\r\n")), forwarding()));
  CHECK(forwards_range(ParsedRequest(get_with("Range: bytes=-500\r\n")), forwarding()));
  CHECK_FALSE(forwards_range(ParsedRequest(get_with("Range: bytes=0-9\r\n")), RuleActions{}));
  CHECK_FALSE(forwards_range(ParsedRequest(get_with("")), forwarding()));
  CHECK_FALSE(forwards_range(ParsedRequest(get_with("Range: bytes=9-0\r\n")), forwarding()));
  CHECK_FALSE(forwards_range(ParsedRequest(get_with("Range: items=0-9\r\n")), forwarding()));
  CHECK_FALSE(forwards_range(
      ParsedRequest(get_with("Range: bytes=0-9\r\nRange: bytes=20-29\r\n")), forwarding()));
  CHECK_FALSE(forwards_range(
      ParsedRequest("HEAD /doc HTTP/1.1\r\nHost: example.com\r\nRange: bytes=0-9\r\n"),
      forwarding()));
}

TEST_CASE("a partial entry answers a fresh Range request it holds, otherwise the range is fetched") {
  EntryRef p = partial({{0, 49}});
  CHECK(decide_with(get_with("Range: bytes=10-19\r\n"), p).kind == Plan::Kind::ServeHit);
  CHECK(decide_with(get_with("Range: bytes=10-19\r\n"), p).status == CacheStatus::Hit);
  CHECK(decide_with(get_with("Range: bytes=0-9, 40-49\r\n"), p).kind == Plan::Kind::ServeHit);
  CHECK(decide_with(get_with("Range: bytes=40-59\r\n"), p).kind == Plan::Kind::FetchRange);
  CHECK(decide_with(get_with("Range: bytes=10-19\r\n"), p, 1060).kind == Plan::Kind::FetchRange);
  CHECK(decide_with(get_with("Range: bytes=10-19\r\n"), nullptr).kind == Plan::Kind::FetchRange);
  // RFC 9110 §13.1.5: an If-Range that is not the part's validator asks the origin.
  CHECK(decide_with(get_with("Range: bytes=10-19\r\nIf-Range: \"v1\"\r\n"), p).kind ==
        Plan::Kind::ServeHit);
  CHECK(decide_with(get_with("Range: bytes=10-19\r\nIf-Range: \"v0\"\r\n"), p).kind ==
        Plan::Kind::FetchRange);
}

TEST_CASE("a partial entry is never served to a request without Range: that is a miss") {
  EntryRef p = partial({{0, 49}});
  Plan plan = decide_with(get_with(""), p);
  CHECK(plan.kind == Plan::Kind::Fetch);
  CHECK(plan.status == CacheStatus::Miss);
  CHECK(decide_with(get_with("Range: bytes=9-0\r\n"), p).kind == Plan::Kind::Fetch);
}

TEST_CASE("a partial entry's answer: the request's ranges, or every part it holds") {
  EntryRef p = partial({{0, 9}, {50, 59}});
  RangeAnswer a = plan_partial(ParsedRequest(get_with("Range: bytes=52-55\r\n")), *p);
  CHECK(a.kind == RangeAnswer::Kind::Partial);
  CHECK(a.ranges == std::vector<ByteRange>{{52, 55}});
  CHECK(held_bytes(*p, a.ranges.front()) == kBody.substr(52, 4));
  RangeAnswer other = plan_partial(ParsedRequest(get_with("Range: bytes=20-29\r\n")), *p);
  CHECK(other.ranges == std::vector<ByteRange>{{0, 9}, {50, 59}});
  CHECK_FALSE(partial_covers(ParsedRequest(get_with("Range: bytes=5-54\r\n")), *p));
}

TEST_CASE("a 206 is storable with one Content-Range, a complete length and a strong validator") {
  auto part = [](const std::string& fields) {
    return storable_part(ParsedResponse("HTTP/1.1 206 Partial Content\r\n" + fields), 1000);
  };
  std::optional<StorablePart> ok = part("ETag: \"v1\"\r\nContent-Range: bytes 0-9/100\r\n");
  REQUIRE(ok);
  CHECK(ok->range == ByteRange{0, 9});
  CHECK(ok->complete_length == 100);
  CHECK(ok->validator.etag == "\"v1\"");
  CHECK_FALSE(part("ETag: W/\"v1\"\r\nContent-Range: bytes 0-9/100\r\n"));
  CHECK_FALSE(part("ETag: \"v1\"\r\nContent-Range: bytes 0-9/*\r\n"));
  CHECK_FALSE(part("Content-Range: bytes 0-9/100\r\n"));  // no validator
  CHECK_FALSE(part("ETag: \"v1\"\r\nContent-Range: bytes 0-9/2000\r\n"));  // over max_object_size
  CHECK_FALSE(part("ETag: \"v1\"\r\nContent-Type: multipart/byteranges; boundary=x\r\n"));
  CHECK_FALSE(part("ETag: \"v1\"\r\nContent-Range: bytes 0-9/100\r\nContent-Length: 5\r\n"));
  // RFC 9110 §8.8.2.2: a Last-Modified a second before the Date is strong.
  CHECK(part("Last-Modified: Sun, 06 Nov 1994 08:49:36 GMT\r\n"
             "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Range: bytes 0-9/100\r\n"));
  CHECK_FALSE(part("Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                   "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Range: bytes 0-9/100\r\n"));
}

TEST_CASE("a 206 to a forwarded Range is buffered to be stored when storable, else streamed") {
  auto plan = [](const std::string& fields) {
    HeadContext ctx;
    ctx.purpose = Purpose::FetchRange;
    ctx.max_object_size = 1000;
    ParsedRequest req(get_with("Range: bytes=0-9\r\n"));
    ParsedResponse resp("HTTP/1.1 206 Partial Content\r\nCache-Control: max-age=60\r\n" + fields);
    etagd::http::CacheControl cc;
    etagd::http::parse_cache_control("max-age=60", cc);
    return plan_for_head(ctx, req, forwarding(), resp, cc);
  };
  HeadPlan stored = plan("ETag: \"v1\"\r\nContent-Range: bytes 0-9/100\r\nContent-Length: 10\r\n");
  CHECK(stored.action == HeadPlan::Action::Buffer);
  CHECK(stored.store);
  CHECK_FALSE(stored.hash);
  CHECK(plan("ETag: W/\"v1\"\r\nContent-Range: bytes 0-9/100\r\n").action == HeadPlan::Action::Stream);
  CHECK(plan("ETag: \"v1\"\r\nContent-Range: bytes 0-9/*\r\n").action == HeadPlan::Action::Stream);
  CHECK(plan("ETag: \"v1\"\r\nContent-Range: bytes 0-9/100\r\nSet-Cookie: a=b\r\n").action ==
        HeadPlan::Action::Stream);
}

TEST_CASE("RFC 9111 §3.4: a part combines with the stored ones only under the same strong validator") {
  EntryRef p = partial({{0, 49}});
  StorablePart same{{50, 99}, 100, {"\"v1\"", {}}};
  PartialContent c = combine(p.get(), same, std::string_view(kBody).substr(50));
  CHECK(etagd::cache::is_complete(c));
  CHECK(c.parts.front().bytes == kBody);

  StorablePart other{{50, 99}, 100, {"\"v2\"", {}}};
  PartialContent replaced = combine(p.get(), other, std::string_view(kBody).substr(50));
  REQUIRE(replaced.parts.size() == 1);
  CHECK(replaced.parts.front().first == 50);
  CHECK(replaced.validator.etag == "\"v2\"");

  StorablePart longer{{50, 99}, 200, {"\"v1\"", {}}};  // another length: another representation
  CHECK(combine(p.get(), longer, std::string_view(kBody).substr(50)).parts.size() == 1);
  CHECK(combine(nullptr, same, std::string_view(kBody).substr(50)).parts.size() == 1);
}
