// answer_from_entry(): how a stored response answers a request: 200 with its body, a local
// 304 that repeats only the fields RFC 9110 §15.4.5 asks for, HEAD without a body, and Age
// only on what comes from the cache (RFC 9111 §5.1).
#include "proxy/decide.h"

#include <doctest/doctest.h>

#include "parsed_message.h"
#include "stored_entry.h"
#include "unit/wall_time.h"

using etagd::testing::at;
using namespace std::chrono_literals;

using etagd::cache::EntryRef;
using etagd::ops::CacheStatus;
using etagd::proxy::EntryAnswer;
using etagd::proxy::answer_from_entry;
using etagd::proxy::request_is_not_modified;
using etagd::proxy::testing::ParsedRequest;
using etagd::proxy::testing::StoredEntry;

namespace {

StoredEntry document() {
  StoredEntry e;
  e.fields =
      "Cache-Control: max-age=60\r\nETag: \"v1\"\r\nVary: Accept\r\n"
      "Content-Type: text/plain\r\nLast-Modified: Thu, 01 Jan 1970 00:15:00 GMT\r\n";
  e.etag = "\"v1\"";
  e.last_modified = 900;
  e.body = "hello world";
  return e;
}

}  // namespace

TEST_CASE("a plain GET is answered 200 with the stored fields and body") {
  EntryRef e = document().make();
  ParsedRequest req("GET /doc HTTP/1.1\r\nHost: a\r\n");
  EntryAnswer a = answer_from_entry(req, *e, CacheStatus::Hit, false, at(1005));
  CHECK(a.status == 200);
  CHECK_FALSE(a.not_modified);
  CHECK(a.fields == e->header_block());
  CHECK(a.has_body);
  CHECK(a.bytes_saved == 0);
}

TEST_CASE("a matching If-None-Match gets a 304 that repeats only the 304 field set") {
  EntryRef e = document().make();
  ParsedRequest req("GET /doc HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v0\", W/\"v1\"\r\n");
  EntryAnswer a = answer_from_entry(req, *e, CacheStatus::Hit, false, at(1005));
  CHECK(a.status == 304);
  CHECK(a.not_modified);
  CHECK(a.fields == "Cache-Control: max-age=60\r\nETag: \"v1\"\r\nVary: Accept\r\n");
  CHECK_FALSE(a.has_body);
  CHECK(a.bytes_saved == e->body().size());
}

TEST_CASE("RFC 9110 6.6.1: a hit and a local 304 carry the stored Date, not the current time") {
  StoredEntry stored = document();
  stored.date_value = 970;  // generated 30 s before it was received
  EntryRef e = stored.make();
  ParsedRequest plain("GET /doc HTTP/1.1\r\nHost: a\r\n");
  ParsedRequest conditional("GET /doc HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v1\"\r\n");
  for (const ParsedRequest* req : {&plain, &conditional}) {
    EntryAnswer a = answer_from_entry(*req, *e, CacheStatus::Hit, false, at(1005));
    CHECK(a.date == 970);
    CHECK(a.age == 35);  // RFC 9111 4.2.3: apparent age 30 + 5 s resident
  }
}

TEST_CASE("If-None-Match wins over If-Modified-Since, If-Modified-Since alone compares dates") {
  EntryRef e = document().make();
  struct Case {
    const char* fields;
    bool not_modified;
  };
  const Case cases[] = {
      {"If-None-Match: \"v1\"\r\n", true},
      {"If-None-Match: *\r\n", true},
      {"If-None-Match: \"other\"\r\n", false},
      // A failing If-None-Match is not rescued by a matching If-Modified-Since (§13.1.3).
      {"If-None-Match: \"other\"\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:20:00 GMT\r\n", false},
      {"If-Modified-Since: Thu, 01 Jan 1970 00:15:00 GMT\r\n", true},   // equal
      {"If-Modified-Since: Thu, 01 Jan 1970 00:20:00 GMT\r\n", true},   // later
      {"If-Modified-Since: Thu, 01 Jan 1970 00:10:00 GMT\r\n", false},  // earlier
      {"If-Modified-Since: not a date\r\n", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.fields);
    ParsedRequest req(std::string("GET /doc HTTP/1.1\r\nHost: a\r\n") + c.fields);
    CHECK(request_is_not_modified(req, *e, e->etag()) == c.not_modified);
  }
}

TEST_CASE("a HEAD answer announces the body without carrying it") {
  EntryRef e = document().make();
  ParsedRequest req("HEAD /doc HTTP/1.1\r\nHost: a\r\n");
  EntryAnswer a = answer_from_entry(req, *e, CacheStatus::Hit, false, at(1005));
  CHECK(a.status == 200);
  CHECK_FALSE(a.has_body);
}

TEST_CASE("only a 200 becomes a local 304, a stored 404 is answered as it is") {
  StoredEntry missing = document();
  missing.status = 404;
  EntryRef e = missing.make();
  ParsedRequest req("GET /doc HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v1\"\r\n");
  EntryAnswer a = answer_from_entry(req, *e, CacheStatus::Hit, false, at(1005));
  CHECK(a.status == 404);
  CHECK(a.has_body);
}

TEST_CASE("Age is on answers from storage, not on what the origin made for this request") {
  EntryRef e = document().make();
  ParsedRequest req("GET /doc HTTP/1.1\r\nHost: a\r\n");
  CHECK(answer_from_entry(req, *e, CacheStatus::Hit, false, at(1005)).age == 5);
  CHECK(answer_from_entry(req, *e, CacheStatus::Stale, false, at(1070)).age == 70);
  CHECK(answer_from_entry(req, *e, CacheStatus::Miss, false, at(1000)).age == -1);
  CHECK(answer_from_entry(req, *e, CacheStatus::Revalidated, false, at(1000)).age == -1);
  // Fetched for this request, but the upstream's answer said how old it already was.
  StoredEntry aged = document();
  aged.age_value = 30;
  EntryRef a = aged.make();
  CHECK(answer_from_entry(req, *a, CacheStatus::Miss, true, at(1000)).age == 30);
}
