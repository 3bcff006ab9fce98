// The exact header set of responses the cache writes itself: a hit, a 304 etagd answers from
// an entry, and an entry refreshed by the origin's 304 (RFC 9111 §3.2, §4.3.4, §5.1; RFC 9110
// §6.6.1, §7.6.1, §15.4.5). One table per path: each row a field and what it must be.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "cache_harness.h"

namespace etagd::testing {
namespace {

// A field and the value it must have; nullopt: the field must be absent.
struct Expected {
  const char* name;
  std::optional<std::string> value;
};

void check_fields(const HttpResponse& r, const std::vector<Expected>& table) {
  for (const Expected& row : table) {
    std::string field = row.name;
    CAPTURE(field);
    if (row.value) {
      CHECK(r.headers.all(row.name) == std::vector<std::string>{*row.value});
    } else {
      CHECK_FALSE(r.headers.contains(row.name));
    }
  }
}

// Age is a non-negative integer at least `at_least` (the Date the origin sent lies that far in
// the past, so the apparent age of RFC 9111 §4.2.3 is at least that).
void check_age(const HttpResponse& r, long at_least) {
  REQUIRE(r.headers.all("Age").size() == 1);
  std::string age = r.headers.get("Age");
  REQUIRE_FALSE(age.empty());
  CHECK(age.find_first_not_of("0123456789") == std::string::npos);
  CHECK(std::stol(age) >= at_least);
}

}  // namespace

TEST_CASE("a hit and a local 304 carry the stored fields, the origin's Date, an Age, and no hop-by-hop field or cookie") {
  ScriptedOrigin origin;
  const std::string date = http_date_from_now(-10);
  const std::string expires = http_date_from_now(600);
  const std::string modified = http_date_from_now(-3600);
  const std::string cc = "max-age=600, no-cache=\"Set-Cookie\"";
  OriginResource doc(200,
                     {{"Date", date},
                      {"ETag", "\"v1\""},
                      {"Last-Modified", modified},
                      {"Cache-Control", cc},
                      {"Expires", expires},
                      {"Vary", "Accept-Language"},
                      {"Content-Location", "/api/doc"},
                      {"Set-Cookie", "session=first"},
                      {"Connection", "X-Hop"},
                      {"X-Hop", "1"},
                      {"Keep-Alive", "timeout=5"},
                      {"Proxy-Authenticate", "Basic"}},
                     "the document body");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin);

  HttpResponse miss = etagd.get("/api/doc");
  REQUIRE(miss.status == 200);
  CHECK(cache_status(miss) == "MISS");
  // The client whose request fetched it gets the cookie; the stored response does not keep it
  // (no-cache="Set-Cookie", RFC 9111 §5.2.2.4).
  CHECK(miss.headers.all("Set-Cookie") == std::vector<std::string>{"session=first"});

  const std::vector<Expected> stored = {
      {"Date", date},
      {"ETag", "\"v1\""},
      {"Last-Modified", modified},
      {"Cache-Control", cc},
      {"Expires", expires},
      {"Vary", "Accept-Language"},
      {"Content-Location", "/api/doc"},
      {"Set-Cookie", std::nullopt},
      {"Connection", std::nullopt},
      {"X-Hop", std::nullopt},
      {"Keep-Alive", std::nullopt},
      {"Proxy-Authenticate", std::nullopt},
      {"Transfer-Encoding", std::nullopt},
  };

  SUBCASE("hit") {
    HttpResponse hit = etagd.get("/api/doc");
    REQUIRE(hit.status == 200);
    CHECK(cache_status(hit) == "HIT");
    check_fields(hit, stored);
    check_age(hit, 10);
    CHECK(hit.headers.all("Content-Length") ==
          std::vector<std::string>{std::to_string(hit.body.size())});
    CHECK(hit.body == "the document body");
  }

  SUBCASE("local 304") {
    HttpResponse nm = etagd.get("/api/doc", {{"If-None-Match", "\"v1\""}});
    REQUIRE(nm.status == 304);
    // RFC 9110 §15.4.5: the fields a 200 would carry among Date, ETag, Cache-Control,
    // Expires, Vary and Content-Location; no content.
    // Last-Modified is not among them: etagd leaves it off (§15.4.5 lets a 304 omit other
    // representation metadata), and when it does send one it must be the stored value.
    std::vector<Expected> on_304;
    for (const Expected& row : stored) {
      if (std::string(row.name) != "Last-Modified") on_304.push_back(row);
    }
    check_fields(nm, on_304);
    for (const std::string& lm : nm.headers.all("Last-Modified")) CHECK(lm == modified);
    check_age(nm, 10);
    CHECK(nm.body.empty());
    // A Content-Length on a 304 must be the one a 200 would have had (RFC 9110 §8.6).
    for (const std::string& cl : nm.headers.all("Content-Length")) {
      CHECK(cl == std::to_string(std::string("the document body").size()));
    }
  }
  CHECK(origin.request_count("/api/doc") == 1);
}

TEST_CASE("an origin 304 updates the stored Date, Cache-Control and Expires, and its cookie reaches only the client that asked") {
  ScriptedOrigin origin;
  const std::string old_date = http_date_from_now(-30);
  const std::string modified = http_date_from_now(-3600);
  OriginResource doc(200,
                     {{"Date", old_date},
                      {"ETag", "\"v1\""},
                      {"Last-Modified", modified},
                      {"Cache-Control", "no-cache"},
                      {"Vary", "Accept-Language"},
                      {"Content-Location", "/api/doc"}},
                     "the document body");
  origin.route("/api/doc", doc.handler());
  CachingEtagd etagd(origin);

  HttpResponse miss = etagd.get("/api/doc");
  REQUIRE(miss.status == 200);

  const std::string new_date = http_date_from_now(-5);
  const std::string expires = http_date_from_now(900);
  doc.set_not_modified_fields({{"Date", new_date},
                               {"ETag", "\"v1\""},
                               {"Cache-Control", "no-cache, max-age=900"},
                               {"Expires", expires},
                               {"Set-Cookie", "session=refreshed"},
                               {"Connection", "X-Hop"},
                               {"X-Hop", "1"}});
  HttpResponse refreshed = etagd.get("/api/doc");
  REQUIRE(refreshed.status == 200);
  CHECK(cache_status(refreshed) == "REVALIDATED");
  CHECK(doc.not_modified_count() == 1);
  const std::vector<Expected> merged = {
      {"Date", new_date},
      {"ETag", "\"v1\""},
      {"Last-Modified", modified},
      {"Cache-Control", "no-cache, max-age=900"},
      {"Expires", expires},
      {"Vary", "Accept-Language"},
      {"Content-Location", "/api/doc"},
      {"Connection", std::nullopt},
      {"X-Hop", std::nullopt},
      {"Transfer-Encoding", std::nullopt},
  };
  check_fields(refreshed, merged);
  CHECK(refreshed.headers.all("Set-Cookie") == std::vector<std::string>{"session=refreshed"});
  // Validated with the origin for this request: no Age (RFC 9111 §5.1, an Age implies the
  // response was not validated by the origin for this request).
  CHECK_FALSE(refreshed.headers.contains("Age"));
  CHECK(refreshed.headers.all("Content-Length") ==
        std::vector<std::string>{std::to_string(refreshed.body.size())});
  CHECK(refreshed.body == "the document body");

  // The next client's answer comes from the merged entry: the cookie is not replayed.
  const std::string later_date = http_date_from_now(-1);
  doc.set_not_modified_fields({{"Date", later_date}, {"ETag", "\"v1\""}});
  HttpResponse again = etagd.get("/api/doc");
  REQUIRE(again.status == 200);
  CHECK(cache_status(again) == "REVALIDATED");
  CHECK_FALSE(again.headers.contains("Set-Cookie"));
  CHECK(again.headers.get("Date") == later_date);
  CHECK(again.headers.get("Cache-Control") == "no-cache, max-age=900");
  CHECK(again.body == "the document body");
}

}  // namespace etagd::testing
