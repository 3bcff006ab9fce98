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
#include "support/free_port.h"
#include "support/prometheus_text.h"

namespace etagd::testing {
namespace {

// "bytes=first-last" or "bytes=first-": the forms these tests send.
bool parse_range(const std::string& range, uint64_t& first, uint64_t& last) {
  if (!range.starts_with("bytes=") || range.find(',') != std::string::npos) return false;
  size_t dash = range.find('-');
  if (dash == std::string::npos || dash == 6) return false;
  first = std::stoull(range.substr(6, dash - 6));
  last = dash + 1 < range.size() ? std::stoull(range.substr(dash + 1)) : UINT64_MAX;
  return first <= last;
}

// Answers `request` for `content` as a file server does: whole (200), or the one range asked
// for (206), with "/*" for the complete length unless `known_length`.
void answer_range(const OriginRequest& request, OriginReply& reply, const std::string& etag,
                  std::string_view content, bool known_length = true) {
  HeaderFields fields{{"Content-Type", "application/octet-stream"},
                      {"Cache-Control", "max-age=60"},
                      {"ETag", etag}};
  std::string range = request.headers.get("Range");
  std::string if_range = request.headers.get("If-Range");
  uint64_t first = 0;
  uint64_t last = 0;
  // RFC 9110 §13.1.5: a Range whose If-Range does not match gets the whole representation.
  if (range.empty() || (!if_range.empty() && if_range != etag) || !parse_range(range, first, last)) {
    reply.reply(200, fields, content);
    return;
  }
  last = std::min<uint64_t>(last, content.size() - 1);
  fields.add("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                  (known_length ? std::to_string(content.size()) : "*"));
  reply.reply(206, fields, content.substr(first, last - first + 1));
}

// /file: one representation a test can change.
class RangeOrigin {
 public:
  RangeOrigin() {
    origin.route("/file", [this](const OriginRequest& request, OriginReply& reply) {
      std::lock_guard lock(mu_);
      answer_range(request, reply, etag_, content_, known_length_);
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

TEST_CASE("partial entries are charged to max_memory and evicted like any entry") {
  constexpr size_t kLength = 256 * 1024;
  constexpr unsigned kFiles = 24;
  ScriptedOrigin origin;
  origin.route("/big/*", [](const OriginRequest& request, OriginReply& reply) {
    unsigned n = static_cast<unsigned>(std::stoul(request.path.substr(sizeof "/big/" - 1)));
    answer_range(request, reply, "\"big" + std::to_string(n) + "\"", patterned_body(kLength, n));
  });
  const uint16_t admin = free_port();
  CachingEtagd etagd(origin, {.cache = "max_memory: 1MiB, shards: 1",
                              .rules = {"{ match: { prefix: / }, range: forward }"},
                              .admin_port = admin});
  // A 64 KiB part of each 256 KiB file: 24 of them are 1.5 MiB, more than the budget.
  for (unsigned n = 0; n < kFiles; ++n) {
    HttpResponse r = etagd.get("/big/" + std::to_string(n), {{"Range", "bytes=0-65535"}});
    REQUIRE(r.status == 206);
    CHECK(r.body == patterned_body(kLength, n).substr(0, 65536));
  }
  std::string metrics = http_get(admin, "/metrics").body;
  std::optional<double> bytes = sample_value(metrics, "etagd_cache_bytes");
  std::optional<double> entries = sample_value(metrics, "etagd_cache_entries");
  REQUIRE(bytes);
  REQUIRE(entries);
  CHECK(*bytes <= 1024 * 1024);
  CHECK(*bytes >= *entries * 65536);  // each entry is charged its part, at least
  CHECK(*entries >= 8);
  CHECK(*entries < kFiles);
  // The newest parts are held, the oldest were evicted.
  CHECK(cache_status(etagd.get("/big/" + std::to_string(kFiles - 1), {{"Range", "bytes=0-99"}})) ==
        "HIT");
  CHECK(cache_status(etagd.get("/big/0", {{"Range", "bytes=0-99"}})) == "MISS");
}

TEST_CASE("RFC 9110 §8.8.2.2: a Last-Modified a second before the Date is strong enough to combine") {
  const std::string content = patterned_body(2000, 4);
  ScriptedOrigin origin;
  origin.route("/dated", [&content](const OriginRequest& request, OriginReply& reply) {
    uint64_t first = 0;
    uint64_t last = 0;
    REQUIRE(parse_range(request.headers.get("Range"), first, last));
    reply.reply(206,
                {{"Cache-Control", "max-age=60"},
                 {"Date", http_date_from_now(0)},
                 {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"},
                 {"Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) +
                                       "/2000"}},
                std::string_view(content).substr(first, last - first + 1));
  });
  CachingEtagd etagd(origin, forwarding_ranges());
  etagd.get("/dated", {{"Range", "bytes=0-1199"}});
  etagd.get("/dated", {{"Range", "bytes=1000-1999"}});  // overlaps the first
  HttpResponse whole = etagd.get("/dated");
  CHECK(whole.status == 200);
  CHECK(cache_status(whole) == "HIT");
  CHECK(whole.body == content);
  CHECK(is_strong_etag(whole.headers.get("ETag")));  // the content ETag of the whole
  CHECK(origin.request_count("/dated") == 2);
}

}  // namespace etagd::testing
