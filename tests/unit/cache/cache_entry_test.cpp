#include "cache/cache_entry.h"

#include <doctest/doctest.h>

#include "cache/cache_store.h"
#include "entry_builder.h"
#include "unit/wall_time.h"

using etagd::testing::at;
using namespace std::chrono_literals;

using etagd::cache::CacheEntry;
using etagd::cache::CacheStore;
using etagd::cache::EntryRef;
using etagd::cache::Freshness;
using etagd::cache::ResponseToStore;
using etagd::cache::VaryField;
using etagd::cache::testing::entry;
using etagd::cache::testing::response;
using etagd::http::HeaderList;
using etagd::cache::EncodedRepresentation;
using etagd::cache::Representation;
namespace http = etagd::http;

namespace {

// An entry whose timing is exactly `f`.
EntryRef timed(const Freshness& f) {
  ResponseToStore r = response();
  r.freshness = f;
  return CacheEntry::make("h/t", std::move(r));
}

bool within(std::string_view inner, std::string_view outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace

TEST_CASE("an entry keeps the key, status, header block, validators and body it was built from") {
  ResponseToStore r = response(5);
  r.status = 203;
  r.etag_from_upstream = true;
  r.last_modified = 784111777;
  std::string block = r.header_block;
  std::string body = r.body;
  EntryRef e = CacheEntry::make("api.example.com/items?page=2", std::move(r));
  CHECK(e->url_key() == "api.example.com/items?page=2");
  CHECK(e->status() == 203);
  CHECK(e->header_block() == block);
  CHECK(e->etag() == "\"0123456789abcdefghijkl\"");
  CHECK(e->etag_from_upstream());
  CHECK(e->last_modified() == 784111777);
  CHECK(e->body() == body);
  CHECK(e->variant().empty());
}

TEST_CASE("an ETag that appears in the header block is not stored twice") {
  EntryRef in_block = entry("h/a");
  CHECK(within(in_block->etag(), in_block->header_block()));

  ResponseToStore r = response();
  r.etag = "W/\"not-in-the-block\"";
  EntryRef separate = CacheEntry::make("h/a", std::move(r));
  CHECK(separate->etag() == "W/\"not-in-the-block\"");
  CHECK(!within(separate->etag(), separate->header_block()));
}

TEST_CASE("an entry without ETag, Last-Modified or body reports them absent") {
  ResponseToStore r;
  r.status = 204;
  EntryRef e = CacheEntry::make("h/", std::move(r));
  CHECK(e->etag().empty());
  CHECK(!e->etag_from_upstream());
  CHECK(!e->last_modified());
  CHECK(e->body().empty());
  CHECK(e->header_block().empty());
  CHECK(e->charge() > 0);
}

TEST_CASE("freshness comes back as it was given") {
  Freshness f;
  f.request_time = at(1'700'000'000);
  f.response_time = at(1'700'000'003);
  f.date_value = at(1'699'999'990);
  f.age_value = 42s;
  f.lifetime = 3600s;
  f.stale_if_error = 86400s;
  f.stale_while_revalidate = 30s;
  f.must_revalidate = true;
  f.no_cache = true;
  Freshness g = timed(f)->freshness();
  CHECK(g.request_time == f.request_time);
  CHECK(g.response_time == f.response_time);
  CHECK(g.date_value == f.date_value);
  CHECK(g.age_value == 42s);
  CHECK(g.lifetime == 3600s);
  CHECK(g.stale_if_error == 86400s);
  CHECK(g.stale_while_revalidate == 30s);
  CHECK(g.must_revalidate);
  CHECK(g.no_cache);
}

TEST_CASE("delta-seconds beyond 2^31 are taken as 2^31 (RFC 9111 1.2.2)") {
  Freshness f;
  f.response_time = at(1000);
  f.request_time = at(1000);
  f.date_value = at(1000);
  f.lifetime = std::chrono::seconds(int64_t{1} << 40);
  f.age_value = -5s;  // nonsense from a caller: no negative age
  Freshness g = timed(f)->freshness();
  CHECK(g.lifetime == std::chrono::seconds(int64_t{1} << 31));
  CHECK(g.age_value == 0s);
}

TEST_CASE("current_age adds resident time to the corrected initial age (RFC 9111 4.2.3)") {
  Freshness f;
  f.request_time = at(1000);
  f.response_time = at(1002);  // response_delay = 2
  f.date_value = at(995);      // apparent_age = 7
  f.age_value = 3s;         // corrected_age_value = 3 + 2 = 5
  f.lifetime = 20s;
  EntryRef e = timed(f);
  CHECK(e->current_age(at(1002)) == 7s);  // max(7, 5) + 0
  CHECK(e->current_age(at(1012)) == 17s);
}

TEST_CASE("a rule ttl lifetime counts from arrival and the origin's Age, not the response delay") {
  Freshness f;
  f.request_time = at(1000);
  f.response_time = at(1002);  // response_delay = 2
  f.date_value = at(995);      // apparent_age = 7
  f.age_value = 1s;
  f.lifetime = 3s;
  f.lifetime_from_arrival = true;
  EntryRef e = timed(f);
  CHECK(e->freshness().lifetime_from_arrival);
  CHECK(e->current_age(at(1002)) == 7s);  // what Age says is still RFC 9111 §4.2.3's
  CHECK(e->freshness_age(at(1002)) == 1s);
  CHECK(e->is_fresh(at(1003)));
  CHECK(!e->is_fresh(at(1004)));  // 1 + 2 is not < 3
  f.lifetime_from_arrival = false;
  CHECK(!timed(f)->is_fresh(at(1002)));  // stale on arrival by §4.2.3
}

TEST_CASE("an Age header from an upstream cache outweighs a recent Date") {
  Freshness f;
  f.request_time = at(1000);
  f.response_time = at(1001);
  f.date_value = at(1001);  // apparent_age 0
  f.age_value = 50s;     // corrected_age_value 51
  f.lifetime = 60s;
  EntryRef e = timed(f);
  CHECK(e->current_age(at(1001)) == 51s);
  CHECK(e->is_fresh(at(1009)));
  CHECK(!e->is_fresh(at(1010)));  // 60 is not < 60
}

TEST_CASE("a Date in the future or a clock going back never makes the age negative") {
  Freshness f;
  f.request_time = at(1000);
  f.response_time = at(1000);
  f.date_value = at(1500);  // origin clock ahead
  f.lifetime = 10s;
  EntryRef e = timed(f);
  CHECK(e->current_age(at(1000)) == 0s);
  CHECK(e->current_age(at(900)) == 0s);
  CHECK(e->current_age(at(1004)) == 4s);
}

TEST_CASE("a response is fresh while its current age is below its lifetime") {
  Freshness f;
  f.request_time = f.response_time = f.date_value = at(1000);
  f.lifetime = 60s;
  EntryRef e = timed(f);
  CHECK(e->is_fresh(at(1000)));
  CHECK(e->is_fresh(at(1059)));
  CHECK(!e->is_fresh(at(1060)));

  f.lifetime = 0s;
  CHECK(!timed(f)->is_fresh(at(1000)));
}

TEST_CASE("a no-cache response is never fresh: every use is revalidated") {
  Freshness f;
  f.request_time = f.response_time = f.date_value = at(1000);
  f.lifetime = 60s;
  f.no_cache = true;
  EntryRef e = timed(f);
  CHECK(!e->is_fresh(at(1000)));
  CHECK(!e->usable_on_error(at(1000)));
  CHECK(!e->usable_while_revalidating(at(1000)));
}

TEST_CASE("stale-if-error and stale-while-revalidate windows extend past the lifetime") {
  Freshness f;
  f.request_time = f.response_time = f.date_value = at(1000);
  f.lifetime = 60s;
  f.stale_if_error = 100s;
  f.stale_while_revalidate = 10s;
  EntryRef e = timed(f);
  CHECK(e->usable_on_error(at(1159)));
  CHECK(!e->usable_on_error(at(1160)));
  CHECK(e->usable_while_revalidating(at(1069)));
  CHECK(!e->usable_while_revalidating(at(1070)));
}

TEST_CASE("must-revalidate forbids serving stale, on error or while revalidating") {
  Freshness f;
  f.request_time = f.response_time = f.date_value = at(1000);
  f.lifetime = 60s;
  f.stale_if_error = 100s;
  f.stale_while_revalidate = 100s;
  f.must_revalidate = true;
  EntryRef e = timed(f);
  CHECK(e->is_fresh(at(1010)));
  CHECK(!e->usable_on_error(at(1070)));
  CHECK(!e->usable_while_revalidating(at(1070)));
}

TEST_CASE("an entry matches a request with the same values of every field it varies on") {
  EntryRef e = entry("h/v", 10,
                     {{"authorization", "Bearer A"}, {"accept", "json"}, {"x-empty", ""}});
  HeaderList same;
  same.add("Accept", "json");
  same.add("AUTHORIZATION", "Bearer A");
  CHECK(e->matches_variant(same));

  HeaderList other_tenant;
  other_tenant.add("Authorization", "Bearer B");
  other_tenant.add("Accept", "json");
  CHECK(!e->matches_variant(other_tenant));

  HeaderList missing;  // absent compares as ""
  missing.add("Accept", "json");
  CHECK(!e->matches_variant(missing));

  HeaderList empty_present = same;
  empty_present.add("X-Empty", "");
  CHECK(e->matches_variant(empty_present));
  HeaderList nonempty = same;
  nonempty.add("X-Empty", "1");
  CHECK(!e->matches_variant(nonempty));
}

TEST_CASE("a repeated request field matches as its combined value") {
  EntryRef e = entry("h/v", 10, {{"x-list", "text/html, application/json"}});
  HeaderList two_lines;
  two_lines.add("X-List", "text/html");
  two_lines.add("X-List", "application/json");
  CHECK(e->matches_variant(two_lines));
  HeaderList one_line;
  one_line.add("X-List", "text/html, application/json");
  CHECK(e->matches_variant(one_line));
  HeaderList first_only;
  first_only.add("X-List", "text/html");
  CHECK(!e->matches_variant(first_only));
  HeaderList reordered;
  reordered.add("X-List", "application/json");
  reordered.add("X-List", "text/html");
  CHECK(!e->matches_variant(reordered));
}

TEST_CASE("an Accept variant matches its value normalised by syntax (RFC 9111 4.1)") {
  // What the proxy stores for Accept is the normalised list (cache::variant_value).
  EntryRef e = entry("h/v", 10, {{"accept", "text/html,application/json;q=0.9"}});
  HeaderList spaced;
  spaced.add("Accept", "text/html , Application/JSON; q=0.9");
  CHECK(e->matches_variant(spaced));
  HeaderList two_lines;
  two_lines.add("Accept", "text/html");
  two_lines.add("Accept", "application/json;q=0.9");
  CHECK(e->matches_variant(two_lines));
  HeaderList other;
  other.add("Accept", "application/json;q=0.9, text/html");
  CHECK(!e->matches_variant(other));
}

TEST_CASE("the fields an entry varies on come back in order, empty values included") {
  EntryRef e = entry("h/v", 10, {{"authorization", "Bearer A"}, {"accept", ""}, {"x", "1"}});
  std::vector<VaryField> v = e->variant();
  REQUIRE(v.size() == 3);
  CHECK(v[0].name == "authorization");
  CHECK(v[0].value == "Bearer A");
  CHECK(v[1].name == "accept");
  CHECK(v[1].value.empty());
  CHECK(v[2].name == "x");
  CHECK(v[2].value == "1");
}

TEST_CASE("an entry that varies on nothing matches every request") {
  HeaderList anything;
  anything.add("Accept", "x");
  CHECK(entry("h/n")->matches_variant(anything));
  CHECK(entry("h/n")->matches_variant(HeaderList()));
}

TEST_CASE("variant lists compare by names and values in any order") {
  EntryRef ab = entry("h/v", 1, {{"a", "1"}, {"b", "2"}});
  EntryRef ba = entry("h/v", 1, {{"b", "2"}, {"a", "1"}});
  EntryRef a = entry("h/v", 1, {{"a", "1"}});
  EntryRef ab3 = entry("h/v", 1, {{"a", "1"}, {"b", "3"}});
  CHECK(ab->same_variant_as(*ba));
  CHECK(!ab->same_variant_as(*a));
  CHECK(!ab->same_variant_as(*ab3));
  CHECK(entry("h/v")->same_variant_as(*entry("h/v")));
}

TEST_CASE("a refreshed entry has new headers and freshness but the same key, status and body") {
  EntryRef old = entry("h/r", 1000, {{"accept", "json"}});
  ResponseToStore r;
  r.header_block = "ETag: \"v2\"\r\n";
  r.etag = "\"v2\"";
  r.etag_from_upstream = true;
  r.freshness.response_time = at(5000);
  r.freshness.request_time = at(4999);
  r.freshness.date_value = at(5000);
  r.freshness.lifetime = 30s;
  EntryRef fresh = CacheEntry::refreshed(*old, std::move(r));
  CHECK(fresh->url_key() == "h/r");
  CHECK(fresh->status() == old->status());
  CHECK(fresh->body() == old->body());
  CHECK(fresh->header_block() == "ETag: \"v2\"\r\n");
  CHECK(fresh->etag() == "\"v2\"");
  CHECK(fresh->variant().size() == 1);
  CHECK(fresh->variant()[0].value == "json");
  CHECK(fresh->is_fresh(at(5010)));
  CHECK(fresh->seq() >= old->seq());
}

TEST_CASE("an entry takes the current invalidation sequence unless told the fetch's") {
  uint64_t now = CacheStore::current_seq();
  CHECK(entry("h/s")->seq() == now);
  ResponseToStore r = response();
  r.seq = 1;
  CHECK(CacheEntry::make("h/s", std::move(r))->seq() == 1);
}

TEST_CASE("the charge counts the key, header block, body, variants and bookkeeping") {
  EntryRef small = entry("h/c", 100);
  EntryRef big = entry("h/c", 100'000);
  size_t fixed = small->header_block().size() + small->url_key().size() + 100;
  CHECK(small->charge() > fixed + sizeof(CacheEntry));
  // Charges follow malloc's chunk sizes (16-byte granules), so allow one granule of rounding.
  constexpr size_t kGranule = 16;
  CHECK(big->charge() - small->charge() + kGranule >= 100'000 - 100);
  // The fields an entry varies on are stored with it.
  EntryRef varied = entry("h/c", 100, {{"authorization", std::string(200, 'k')}});
  CHECK(varied->charge() + kGranule >=
        small->charge() + 200 + std::string_view("authorization").size());
}

TEST_CASE("a response varying on Accept-Encoding matches requests accepting the same codings") {
  // Stored under the canonical key (http/accept_encoding.h), however the field was written.
  EntryRef e = entry("h/v", 10, {{"accept-encoding", "br,deflate,gzip,identity"}});
  auto request = [](std::string_view value) {
    HeaderList h;
    h.add("Accept-Encoding", value);
    return h;
  };
  CHECK(e->matches_variant(request("gzip, deflate, br")));
  CHECK(e->matches_variant(request("br, gzip, deflate")));
  CHECK(e->matches_variant(request("BR;q=0.5, gzip, deflate;q=0.1")));
  CHECK(!e->matches_variant(request("br, gzip")));
  CHECK(!e->matches_variant(HeaderList{}));
}

namespace {

ResponseToStore with_representations(size_t body_size) {
  ResponseToStore r = response(body_size);
  EncodedRepresentation br;
  br.coding = http::ContentCoding::Br;
  br.etag = "\"0123456789abcdefghijkl-br\"";
  br.header_block = "Content-Type: application/json\r\nETag: " + br.etag +
                    "\r\nContent-Encoding: br\r\n";
  br.body = std::string(body_size / 10, 'b');
  EncodedRepresentation gz = br;
  gz.coding = http::ContentCoding::Gzip;
  gz.etag = "\"0123456789abcdefghijkl-gzip\"";
  gz.header_block = "ETag: " + gz.etag + "\r\nContent-Encoding: gzip\r\n";
  gz.body = std::string(body_size / 5, 'g');
  r.encoded = {br, gz};
  return r;
}

}  // namespace

TEST_CASE("encoded representations are kept in order, each with its fields, ETag and body") {
  EntryRef e = CacheEntry::make("h/enc", with_representations(1000));
  CHECK(e->body() == std::string(1000, 'x'));
  CHECK(e->identity().etag == "\"0123456789abcdefghijkl\"");
  REQUIRE(e->encoded_count() == 2);
  Representation br = e->encoded(0);
  CHECK(br.coding == http::ContentCoding::Br);
  CHECK(br.etag == "\"0123456789abcdefghijkl-br\"");
  CHECK(br.header_block.find("Content-Encoding: br\r\n") != std::string_view::npos);
  CHECK(br.body == std::string(100, 'b'));
  Representation gz = e->encoded(1);
  CHECK(gz.coding == http::ContentCoding::Gzip);
  CHECK(gz.etag == "\"0123456789abcdefghijkl-gzip\"");
  CHECK(gz.body == std::string(200, 'g'));
}

TEST_CASE("the charge counts the encoded representations too") {
  EntryRef plain = entry("h/enc", 10'000);
  EntryRef encoded = CacheEntry::make("h/enc", with_representations(10'000));
  Representation br = encoded->encoded(0);
  Representation gz = encoded->encoded(1);
  size_t extra = br.body.size() + br.header_block.size() + gz.body.size() + gz.header_block.size();
  CHECK(encoded->charge() >= plain->charge() + extra);
  CHECK(CacheEntry::census().bytes >= encoded->charge() + plain->charge());
}

TEST_CASE("a refreshed entry keeps the encoded bodies under the new fields it is given") {
  EntryRef old = CacheEntry::make("h/enc", with_representations(1000));
  ResponseToStore r = response(0);
  r.header_block = "ETag: \"new\"\r\n";
  r.etag = "\"new\"";
  for (size_t i = 0; i < old->encoded_count(); ++i) {
    EncodedRepresentation e;
    e.coding = old->encoded(i).coding;
    e.etag = "\"new-" + std::to_string(i) + "\"";
    e.header_block = "ETag: " + e.etag + "\r\n";
    r.encoded.push_back(e);
  }
  EntryRef fresh = CacheEntry::refreshed(*old, std::move(r));
  REQUIRE(fresh->encoded_count() == 2);
  CHECK(fresh->encoded(0).etag == "\"new-0\"");
  CHECK(fresh->encoded(0).body == old->encoded(0).body);
  CHECK(fresh->encoded(1).body == old->encoded(1).body);
  // Given nothing for them, the refreshed entry drops them rather than mislabel them.
  ResponseToStore bare = response(0);
  CHECK(CacheEntry::refreshed(*old, std::move(bare))->encoded_count() == 0);
}
