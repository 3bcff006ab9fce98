// Stored partial content (RFC 9111 §3.3-3.4) under `range: forward`: a Range miss asks the
// origin for the range, a 206 with a strong validator and a known complete length is stored,
// ranges inside it are answered from memory, and parts with the same strong validator combine,
// into the whole response once they cover it. The origin honours Range like a file server and
// counts what it is asked.
#include <doctest/doctest.h>

#include <cstdint>
#include <mutex>
#include <string>

#include "cache_harness.h"

namespace etagd::testing {
namespace {

// A representation served whole (200) or by one range (206), as a file server does.
class RangeOrigin {
 public:
  RangeOrigin() {
    origin.route("/file", [this](const OriginRequest& request, OriginReply& reply) {
      std::lock_guard lock(mu_);
      HeaderFields fields{{"Content-Type", "application/octet-stream"},
                          {"Cache-Control", "max-age=60"},
                          {"ETag", etag_}};
      std::string range = request.headers.get("Range");
      std::string if_range = request.headers.get("If-Range");
      uint64_t first = 0;
      uint64_t last = 0;
      // RFC 9110 §13.1.5: a Range whose If-Range does not match gets the whole representation.
      if (range.empty() || (!if_range.empty() && if_range != etag_) || !parse(range, first, last)) {
        reply.reply(200, fields, content_);
        return;
      }
      last = std::min<uint64_t>(last, content_.size() - 1);
      fields.add("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) +
                                      "/" + (known_length_ ? std::to_string(content_.size()) : "*"));
      reply.reply(206, fields, std::string_view(content_).substr(first, last - first + 1));
    });
  }

  void set(std::string etag, std::string content) {
    std::lock_guard lock(mu_);
    etag_ = std::move(etag);
    content_ = std::move(content);
  }
  void set_known_length(bool known) {
    std::lock_guard lock(mu_);
    known_length_ = known;
  }
  std::string content() const {
    std::lock_guard lock(mu_);
    return content_;
  }

  ScriptedOrigin origin;

 private:
  // "bytes=first-last" or "bytes=first-": the forms these tests send.
  static bool parse(const std::string& range, uint64_t& first, uint64_t& last) {
    if (!range.starts_with("bytes=") || range.find(',') != std::string::npos) return false;
    size_t dash = range.find('-');
    if (dash == std::string::npos || dash == 6) return false;
    first = std::stoull(range.substr(6, dash - 6));
    last = dash + 1 < range.size() ? std::stoull(range.substr(dash + 1)) : UINT64_MAX;
    return first <= last;
  }

  mutable std::mutex mu_;
  std::string etag_ = "\"v1\"";
  std::string content_ = patterned_body(2000, 1);
  bool known_length_ = true;
};

CacheSetup forwarding_ranges() {
  return {.rules = {"{ match: { prefix: / }, range: forward }"}};
}

}  // namespace

TEST_CASE("RFC 9111 §3.3: a 206 with a strong ETag is stored and a range inside it is a HIT") {
  RangeOrigin o;
  CachingEtagd etagd(o.origin, forwarding_ranges());
  const std::string content = o.content();

  HttpResponse miss = etagd.get("/file", {{"Range", "bytes=100-499"}});
  CHECK(miss.status == 206);
  CHECK(cache_status(miss) == "MISS");
  CHECK(miss.body == content.substr(100, 400));
  CHECK(miss.headers.get("Content-Range") == "bytes 100-499/2000");
  std::optional<OriginRequest> sent = o.origin.last_request();
  REQUIRE(sent);
  CHECK(sent->headers.get("Range") == "bytes=100-499");  // forwarded, not fetched whole

  HttpResponse hit = etagd.get("/file", {{"Range", "bytes=200-299"}});
  CHECK(hit.status == 206);
  CHECK(cache_status(hit) == "HIT");
  CHECK(hit.body == content.substr(200, 100));
  CHECK(hit.headers.get("Content-Range") == "bytes 200-299/2000");
  CHECK(hit.headers.get("Content-Length") == "100");
  CHECK(hit.headers.get("ETag") == "\"v1\"");
  CHECK(hit.headers.get("Content-Type") == "application/octet-stream");

  HttpResponse several = etagd.get("/file", {{"Range", "bytes=100-109, 490-499"}});
  CHECK(several.status == 206);
  CHECK(cache_status(several) == "HIT");
  CHECK(several.headers.get("Content-Type").starts_with("multipart/byteranges; boundary="));
  CHECK(several.body.find(content.substr(490, 10)) != std::string::npos);
  CHECK(o.origin.request_count("/file") == 1);

  // Not held: asked of the origin. Never served to a request without Range.
  CHECK(cache_status(etagd.get("/file", {{"Range", "bytes=0-9"}})) == "MISS");
  CHECK(o.origin.request_count("/file") == 2);
  HttpResponse whole = etagd.get("/file");
  CHECK(whole.status == 200);
  CHECK(cache_status(whole) == "MISS");
  CHECK(whole.body == content);
  CHECK(o.origin.request_count("/file") == 3);
}

TEST_CASE("RFC 9111 §3.4: two halves with the same strong ETag combine into the whole response") {
  RangeOrigin o;
  CachingEtagd etagd(o.origin, forwarding_ranges());
  const std::string content = o.content();

  CHECK(etagd.get("/file", {{"Range", "bytes=0-999"}}).body == content.substr(0, 1000));
  CHECK(etagd.get("/file", {{"Range", "bytes=1000-"}}).body == content.substr(1000));
  REQUIRE(o.origin.request_count("/file") == 2);

  HttpResponse whole = etagd.get("/file");
  CHECK(whole.status == 200);
  CHECK(cache_status(whole) == "HIT");
  CHECK(whole.body == content);  // byte-exact, CR, LF and NUL included
  CHECK(whole.headers.get("Content-Length") == "2000");
  CHECK(whole.headers.get("ETag") == "\"v1\"");
  CHECK(!whole.headers.contains("Content-Range"));
  CHECK(whole.headers.get("Accept-Ranges") == "bytes");
  // A whole entry now: local 304s and ranges across the old halves.
  CHECK(etagd.get("/file", {{"If-None-Match", "\"v1\""}}).status == 304);
  HttpResponse across = etagd.get("/file", {{"Range", "bytes=990-1009"}});
  CHECK(across.status == 206);
  CHECK(cache_status(across) == "HIT");
  CHECK(across.body == content.substr(990, 20));
  CHECK(o.origin.request_count("/file") == 2);
}

TEST_CASE("RFC 9111 §3.4: a part with another ETag replaces the stored part, never combines with it") {
  RangeOrigin o;
  CachingEtagd etagd(o.origin, forwarding_ranges());
  const std::string v1 = o.content();
  CHECK(etagd.get("/file", {{"Range", "bytes=0-999"}}).status == 206);

  const std::string v2 = patterned_body(2000, 2);
  o.set("\"v2\"", v2);
  HttpResponse second = etagd.get("/file", {{"Range", "bytes=1000-1999"}});
  CHECK(second.body == v2.substr(1000));
  CHECK(second.headers.get("ETag") == "\"v2\"");

  // The v1 part was replaced: its range is asked again, never answered with the old bytes.
  HttpResponse first = etagd.get("/file", {{"Range", "bytes=0-99"}});
  CHECK(cache_status(first) == "MISS");
  CHECK(first.body == v2.substr(0, 100));
  CHECK(o.origin.request_count("/file") == 3);
  // And not combined: the v2 parts are not the whole response, so this is a miss too.
  HttpResponse whole = etagd.get("/file");
  CHECK(cache_status(whole) == "MISS");
  CHECK(whole.body == v2);
  CHECK(o.origin.request_count("/file") == 4);
}

TEST_CASE("If-Range that does not match the stored part goes to the origin, which sends the whole") {
  RangeOrigin o;
  CachingEtagd etagd(o.origin, forwarding_ranges());
  const std::string content = o.content();
  etagd.get("/file", {{"Range", "bytes=0-999"}});
  CHECK(cache_status(etagd.get("/file", {{"Range", "bytes=0-9"}, {"If-Range", "\"v1\""}})) == "HIT");

  HttpResponse changed = etagd.get("/file", {{"Range", "bytes=0-9"}, {"If-Range", "\"v0\""}});
  CHECK(changed.status == 200);  // RFC 9110 §13.1.5
  CHECK(changed.body == content);
  CHECK(o.origin.request_count("/file") == 2);
  CHECK(o.origin.last_request()->headers.get("If-Range") == "\"v0\"");
}

TEST_CASE("RFC 9111 §3.4: a 206 with a weak ETag is passed on and not stored") {
  RangeOrigin o;
  o.set("W/\"v1\"", patterned_body(2000, 1));
  CachingEtagd etagd(o.origin, forwarding_ranges());
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = etagd.get("/file", {{"Range", "bytes=0-99"}});
    CHECK(r.status == 206);
    CHECK(r.headers.get("Content-Range") == "bytes 0-99/2000");
    CHECK(r.body == o.content().substr(0, 100));
  }
  CHECK(o.origin.request_count("/file") == 2);
}

TEST_CASE("RFC 9111 §3.3: a 206 without its complete length (bytes 0-99/*) is passed on and not stored") {
  RangeOrigin o;
  o.set_known_length(false);
  CachingEtagd etagd(o.origin, forwarding_ranges());
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = etagd.get("/file", {{"Range", "bytes=0-99"}});
    CHECK(r.status == 206);
    CHECK(r.headers.get("Content-Range") == "bytes 0-99/*");
    CHECK(r.body == o.content().substr(0, 100));
  }
  CHECK(o.origin.request_count("/file") == 2);
}

TEST_CASE("range: whole, the default, still fetches the whole response for a Range miss") {
  RangeOrigin o;
  CachingEtagd etagd(o.origin);
  HttpResponse r = etagd.get("/file", {{"Range", "bytes=0-99"}});
  CHECK(r.status == 206);
  CHECK(r.body == o.content().substr(0, 100));
  CHECK(!o.origin.last_request()->headers.contains("Range"));
}

}  // namespace etagd::testing
