// Range requests answered from a stored response (RFC 9110 §14): 206 from memory with one
// range or multipart/byteranges for several, If-Range, 416, and a miss fetched whole.
#include <doctest/doctest.h>

#include <string>

#include "cache_harness.h"

namespace etagd::testing {
namespace {

std::string body_of(size_t n) {
  std::string s;
  s.reserve(n);
  for (size_t i = 0; s.size() < n; ++i) s += static_cast<char>('a' + i % 26);
  return s;
}

struct RangeFixture {
  RangeFixture() {
    origin.route("/doc", [this](const OriginRequest&, OriginReply& reply) {
      reply.reply(200,
                  {{"Content-Type", "application/json"},
                   {"Cache-Control", "max-age=60"},
                   {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}},
                  content);
    });
  }
  std::string content = body_of(2000);
  ScriptedOrigin origin;
  CachingEtagd etagd{origin};
};

}  // namespace

TEST_CASE("a Range request that misses fetches the whole response, stores it and answers the range") {
  RangeFixture f;
  HttpResponse part = f.etagd.get("/doc", {{"Range", "bytes=0-99"}});
  CHECK(part.status == 206);
  CHECK(cache_status(part) == "MISS");
  CHECK(part.body == f.content.substr(0, 100));
  CHECK(part.headers.get("Content-Range") == "bytes 0-99/2000");
  CHECK(part.headers.get("Content-Length") == "100");
  CHECK(part.headers.get("Content-Type") == "application/json");
  std::optional<OriginRequest> sent = f.origin.last_request();
  REQUIRE(sent);
  CHECK(!sent->headers.contains("Range"));  // fetched whole

  HttpResponse whole = f.etagd.get("/doc");
  CHECK(whole.status == 200);
  CHECK(cache_status(whole) == "HIT");
  CHECK(whole.body == f.content);
  CHECK(whole.headers.get("Accept-Ranges") == "bytes");
  CHECK(f.origin.request_count("/doc") == 1);
}

TEST_CASE("single ranges from memory: open, suffix, clipped") {
  RangeFixture f;
  f.etagd.get("/doc");
  HttpResponse open = f.etagd.get("/doc", {{"Range", "bytes=1990-"}});
  CHECK(open.status == 206);
  CHECK(cache_status(open) == "HIT");
  CHECK(open.body == f.content.substr(1990));
  CHECK(open.headers.get("Content-Range") == "bytes 1990-1999/2000");
  HttpResponse suffix = f.etagd.get("/doc", {{"Range", "bytes=-5"}});
  CHECK(suffix.body == f.content.substr(1995));
  HttpResponse clipped = f.etagd.get("/doc", {{"Range", "bytes=1500-99999"}});
  CHECK(clipped.body == f.content.substr(1500));
  CHECK(clipped.headers.get("Content-Range") == "bytes 1500-1999/2000");
  CHECK(f.origin.request_count("/doc") == 1);
}

TEST_CASE("several ranges come as multipart/byteranges, overlapping ones merged") {
  RangeFixture f;
  f.etagd.get("/doc");
  HttpResponse r = f.etagd.get("/doc", {{"Range", "bytes=0-9, 100-109, 105-119"}});
  CHECK(r.status == 206);
  std::string type = r.headers.get("Content-Type");
  REQUIRE(type.starts_with("multipart/byteranges; boundary="));
  std::string boundary = type.substr(type.find('=') + 1);
  std::string expected = "\r\n--" + boundary +
                         "\r\nContent-Type: application/json\r\nContent-Range: bytes 0-9/2000\r\n\r\n" +
                         f.content.substr(0, 10) + "\r\n--" + boundary +
                         "\r\nContent-Type: application/json\r\nContent-Range: bytes 100-119/2000\r\n\r\n" +
                         f.content.substr(100, 20) + "\r\n--" + boundary + "--\r\n";
  CHECK(r.body == expected);
  CHECK(r.headers.get("Content-Length") == std::to_string(expected.size()));
  CHECK(!r.headers.contains("Content-Range"));
}

TEST_CASE("If-Range: a matching ETag or date gets the range, anything else the whole 200") {
  RangeFixture f;
  HttpResponse first = f.etagd.get("/doc");
  std::string etag = first.headers.get("ETag");
  REQUIRE(!etag.empty());
  CHECK(f.etagd.get("/doc", {{"Range", "bytes=0-9"}, {"If-Range", etag}}).status == 206);
  CHECK(f.etagd.get("/doc", {{"Range", "bytes=0-9"}, {"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}})
            .status == 206);
  HttpResponse changed = f.etagd.get("/doc", {{"Range", "bytes=0-9"}, {"If-Range", "\"other\""}});
  CHECK(changed.status == 200);
  CHECK(changed.body == f.content);
  CHECK(f.etagd.get("/doc", {{"Range", "bytes=0-9"}, {"If-Range", "W/" + etag}}).status == 200);
}

TEST_CASE("an unsatisfiable range is answered 416 with the length, a malformed one is ignored") {
  RangeFixture f;
  f.etagd.get("/doc");
  HttpResponse r = f.etagd.get("/doc", {{"Range", "bytes=2000-"}});
  CHECK(r.status == 416);
  CHECK(r.headers.get("Content-Range") == "bytes */2000");
  HttpResponse malformed = f.etagd.get("/doc", {{"Range", "bytes=9-1"}});
  CHECK(malformed.status == 200);
  CHECK(malformed.body == f.content);
  CHECK(f.etagd.get("/doc", {{"Range", "items=0-1"}}).status == 200);
}

TEST_CASE("If-None-Match comes before Range, and HEAD ignores Range") {
  RangeFixture f;
  std::string etag = f.etagd.get("/doc").headers.get("ETag");
  CHECK(f.etagd.get("/doc", {{"Range", "bytes=0-9"}, {"If-None-Match", etag}}).status == 304);
  HttpResponse head = f.etagd.head("/doc", {{"Range", "bytes=0-9"}});
  CHECK(head.status == 200);
}

}  // namespace etagd::testing
