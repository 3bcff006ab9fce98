// The message syntax the test tools accept is strict on purpose: these cases pin it down.
#include "support/wire_format.h"

#include <doctest/doctest.h>

#include "support/header_fields.h"

namespace etagd::testing {

TEST_CASE("header fields are looked up case-insensitively and keep repeated lines") {
  HeaderFields h{{"Vary", "Accept"}, {"content-type", "text/plain"}, {"VARY", "Origin"}};
  CHECK(h.get("Content-Type") == "text/plain");
  CHECK(h.count("vary") == 2);
  CHECK(h.all("Vary") == std::vector<std::string>{"Accept", "Origin"});
  CHECK(h.combined("vary") == "Accept, Origin");
  CHECK(h.get("Missing").empty());
  CHECK(h.find("Missing") == nullptr);
  h.set("vary", "*");
  CHECK(h.all("Vary") == std::vector<std::string>{"*"});
  CHECK(h.remove("VARY") == 1);
  CHECK_FALSE(h.contains("Vary"));
}

TEST_CASE("has_token finds a member of a comma-separated field across lines") {
  HeaderFields h{{"Connection", "keep-alive, Upgrade"}, {"Connection", " Close "}};
  CHECK(h.has_token("connection", "close"));
  CHECK(h.has_token("Connection", "upgrade"));
  CHECK_FALSE(h.has_token("Connection", "keep"));
}

TEST_CASE("a head splits into start line and OWS-trimmed fields") {
  std::string start;
  HeaderFields fields;
  std::string error;
  REQUIRE(parse_head("GET /a HTTP/1.1\r\nHost:  x \r\nX-Empty:\r\n\r\n", start, fields, &error));
  CHECK(start == "GET /a HTTP/1.1");
  CHECK(fields.size() == 2);
  CHECK(fields.get("Host") == "x");
  CHECK(fields.contains("X-Empty"));
  CHECK(fields.get("X-Empty").empty());
}

TEST_CASE("heads with bare LF, bare CR, obs-fold or a bad field name are rejected") {
  std::string start;
  std::string error;
  for (const char* bad :
       {"GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n", "GET / HTTP/1.1\r\nA: b\rC: d\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n", "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\n: no name\r\n\r\n", "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nA: nul\x01byte\r\n\r\n"}) {
    HeaderFields fields;
    CAPTURE(bad);
    CHECK_FALSE(parse_head(bad, start, fields, &error));
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("status lines need a version, three digits and the separating spaces") {
  StatusLine s;
  REQUIRE(parse_status_line("HTTP/1.1 404 Not Found", s));
  CHECK(s.version == "HTTP/1.1");
  CHECK(s.status == 404);
  CHECK(s.reason == "Not Found");
  REQUIRE(parse_status_line("HTTP/1.0 204 ", s));
  CHECK(s.reason.empty());
  CHECK_FALSE(parse_status_line("HTTP/1.1 200", s));
  CHECK_FALSE(parse_status_line("HTTP/1.1 20x OK", s));
  CHECK_FALSE(parse_status_line("HTTP/1.1 OOPS not a status line", s));
  CHECK_FALSE(parse_status_line("ICY 200 OK", s));
}

TEST_CASE("request lines have exactly three parts") {
  RequestLine r;
  REQUIRE(parse_request_line("PATCH /api/items/3?x=1 HTTP/1.1", r));
  CHECK(r.method == "PATCH");
  CHECK(r.target == "/api/items/3?x=1");
  CHECK_FALSE(parse_request_line("GET /a b HTTP/1.1", r));
  CHECK_FALSE(parse_request_line("GET /a", r));
  CHECK_FALSE(parse_request_line("GET /a HTTP/x", r));
}

TEST_CASE("responses to HEAD and 1xx, 204, 304 responses have no body") {
  HeaderFields length{{"Content-Length", "10"}};
  CHECK(response_framing("HEAD", 200, length).kind == BodyFraming::none);
  CHECK(response_framing("GET", 204, length).kind == BodyFraming::none);
  CHECK(response_framing("GET", 304, length).kind == BodyFraming::none);
  CHECK(response_framing("GET", 103, length).kind == BodyFraming::none);
  auto f = response_framing("GET", 200, length);
  CHECK(f.kind == BodyFraming::length);
  CHECK(f.content_length == 10);
}

TEST_CASE("response framing: chunked first, then Content-Length, then read until close") {
  CHECK(response_framing("GET", 200, {{"Transfer-Encoding", "chunked"}, {"Content-Length", "3"}})
            .kind == BodyFraming::chunked);
  CHECK(response_framing("GET", 200, {{"Transfer-Encoding", "gzip"}}).kind ==
        BodyFraming::until_close);
  CHECK(response_framing("GET", 200, {}).kind == BodyFraming::until_close);
  CHECK(response_framing("GET", 200, {{"Content-Length", "3"}, {"Content-Length", "4"}}).kind ==
        BodyFraming::invalid);
  CHECK(response_framing("GET", 200, {{"Content-Length", "3, 3"}}).content_length == 3);
  CHECK(response_framing("GET", 200, {{"Content-Length", "+3"}}).kind == BodyFraming::invalid);
}

TEST_CASE("request framing refuses ambiguous or unknown framing") {
  CHECK(request_framing({}).kind == BodyFraming::none);
  CHECK(request_framing({{"Content-Length", "5"}}).kind == BodyFraming::length);
  CHECK(request_framing({{"Transfer-Encoding", "chunked"}}).kind == BodyFraming::chunked);
  CHECK(request_framing({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}).kind ==
        BodyFraming::invalid);
  CHECK(request_framing({{"Transfer-Encoding", "gzip"}}).kind == BodyFraming::invalid);
}

TEST_CASE("encode_chunked skips empty chunks and ends with the trailer section") {
  CHECK(encode_chunked({"hello", "", std::string(17, 'x')}) ==
        "5\r\nhello\r\n11\r\n" + std::string(17, 'x') + "\r\n0\r\n\r\n");
  CHECK(encode_chunked({}, {{"X-Sum", "1"}}) == "0\r\nX-Sum: 1\r\n\r\n");
}

TEST_CASE("reason phrases cover the codes tests use") {
  CHECK(std::string(reason_phrase(304)) == "Not Modified");
  CHECK(std::string(reason_phrase(431)) == "Request Header Fields Too Large");
  CHECK(std::string(reason_phrase(799)) == "Unknown");
}

}  // namespace etagd::testing
