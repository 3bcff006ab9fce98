// parse_request_head / parse_response_head: what a clean head turns into, and what is refused
// beyond the scanner's byte checks.
#include "http/message_head.h"

#include <doctest/doctest.h>

#include <string>

using namespace etagd::http;

namespace {

// Scans and parses `text` as one complete head; returns the parser's error ("" = parsed).
// The head's views point into `text`: keep it alive while they are used.
std::string parse_request(const std::string& text, RequestHead& out) {
  HeadScanner scanner(HeadKind::Request, HeadLimits{});
  HeadScan scan = scanner.scan(text);
  REQUIRE(scan.status == HeadScan::Status::Complete);
  return std::string(parse_request_head(std::string_view(text).substr(scan.skip, scan.length),
                                        scan, out));
}

std::string parse_response(const std::string& text, ResponseHead& out) {
  HeadScanner scanner(HeadKind::Response, HeadLimits{});
  HeadScan scan = scanner.scan(text);
  REQUIRE(scan.status == HeadScan::Status::Complete);
  return std::string(parse_response_head(std::string_view(text).substr(scan.skip, scan.length),
                                         scan, out));
}

}  // namespace

TEST_CASE("a request head yields method, target, path, query, fields and framing") {
  std::string text =
      "GET /api/items?page=2&x=1 HTTP/1.1\r\nHost: api.example.com\r\nAccept:  json \r\n"
      "Content-Length: 0\r\n\r\n";
  RequestHead r;
  REQUIRE(parse_request(text, r).empty());
  CHECK(r.method == Method::Get);
  CHECK(r.method_token == "GET");
  CHECK(r.target == "/api/items?page=2&x=1");
  CHECK(r.path == "/api/items");
  CHECK(r.query == "page=2&x=1");
  CHECK(r.version_minor == 1);
  CHECK(r.host == "api.example.com");
  CHECK(r.headers.get("accept") == "json");
  CHECK(r.content_length == 0u);
  CHECK_FALSE(r.has_body());
  CHECK(r.keep_alive);
}

TEST_CASE("the target's path is normalised, the query kept as sent and the raw target kept") {
  std::string text = "GET /live/..//api/./x?a=/../b HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestHead r;
  REQUIRE(parse_request(text, r).empty());
  CHECK(r.target == "/api/x?a=/../b");
  CHECK(r.path == "/api/x");
  CHECK(r.query == "a=/../b");
  CHECK(r.raw_target == "/live/..//api/./x?a=/../b");
  // A copy's views stay valid after the original is gone: the normal form is shared.
  RequestHead copy;
  {
    RequestHead moved = std::move(r);
    copy = moved;
  }
  CHECK(copy.target == "/api/x?a=/../b");
  CHECK(copy.path == "/api/x");
}

TEST_CASE("a normal target is used where it is, without a copy") {
  std::string text = "GET /api/x/?q=1 HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestHead r;
  REQUIRE(parse_request(text, r).empty());
  CHECK(r.target == "/api/x/?q=1");
  CHECK(r.target.data() == r.raw_target.data());
  CHECK(r.normalised_target == nullptr);
}

TEST_CASE("a target whose path climbs above the root is refused") {
  RequestHead r;
  std::string above = "GET /../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n";
  CHECK(parse_request(above, r) == "path climbs above the root");
  CHECK(r.raw_target == "/../etc/passwd");  // for the refusal's log line
  std::string encoded = "GET /a/%2e%2e/%2E%2E/b HTTP/1.1\r\nHost: h\r\n\r\n";
  CHECK(parse_request(encoded, r) == "path climbs above the root");
}

TEST_CASE("views point into the head itself, so they live as long as the head buffer") {
  std::string text = "PUT /a HTTP/1.1\r\nHost: h\r\nX-Long: value\r\n\r\n";
  RequestHead r;
  REQUIRE(parse_request(text, r).empty());
  for (const HeaderField& f : r.headers) {
    CHECK(f.name.data() >= text.data());
    CHECK(f.value.data() + f.value.size() <= text.data() + text.size());
  }
}

TEST_CASE("an extension method unknown to llhttp is parsed as Other with correct views") {
  std::string text = "FROBNICATE /things/7?q=1 HTTP/1.1\r\nHost: h.example\r\nX-Tag: blue\r\n\r\n";
  RequestHead r;
  REQUIRE(parse_request(text, r).empty());
  CHECK(r.method == Method::Other);
  CHECK(r.method_token == "FROBNICATE");
  CHECK(r.target == "/things/7?q=1");
  CHECK(r.host == "h.example");
  CHECK(r.headers.get("x-tag") == "blue");
  CHECK(r.headers.find("x-tag")->name == "X-Tag");
}

TEST_CASE("keep-alive follows RFC 9112 §9.3 for each version") {
  RequestHead r;
  REQUIRE(parse_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", r).empty());
  CHECK_FALSE(r.keep_alive);
  REQUIRE(parse_request("GET / HTTP/1.0\r\n\r\n", r).empty());
  CHECK_FALSE(r.keep_alive);
  REQUIRE(parse_request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", r).empty());
  CHECK(r.keep_alive);
  REQUIRE(parse_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: x-trace, close\r\n\r\n", r).empty());
  CHECK_FALSE(r.keep_alive);
}

TEST_CASE("Host must be present once in HTTP/1.1 and be a valid uri-host[:port]") {
  RequestHead r;
  CHECK(parse_request("GET / HTTP/1.1\r\n\r\n", r) == "missing Host");
  CHECK(parse_request("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", r) == "repeated Host");
  for (const char* bad : {"exa mple.com", "example.com/evil", "user@example.com",
                          "example.com:http", "[::1", "[::1]x", "example.com:123456"}) {
    CAPTURE(bad);
    CHECK(parse_request(std::string("GET / HTTP/1.1\r\nHost: ") + bad + "\r\n\r\n", r) ==
          "invalid Host");
  }
  for (const char* good : {"example.com", "example.com:8080", "127.0.0.1:80", "[::1]:8080",
                           "[2001:db8::1]", "xn--bcher-kva.example", "example.com:"}) {
    CAPTURE(good);
    CHECK(parse_request(std::string("GET / HTTP/1.1\r\nHost: ") + good + "\r\n\r\n", r).empty());
  }
  // HTTP/1.0 may omit Host.
  CHECK(parse_request("GET / HTTP/1.0\r\n\r\n", r).empty());
}

TEST_CASE("only origin-form targets are accepted by a reverse proxy") {
  RequestHead r;
  CHECK(parse_request("GET http://evil.example/ HTTP/1.1\r\nHost: h\r\n\r\n", r) ==
        "request target must be origin-form");
  CHECK(parse_request("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", r) ==
        "request target must be origin-form");
  CHECK(parse_request("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", r) == "CONNECT not supported");
}

TEST_CASE("Expect: 100-continue is recognised and any other expectation is refused") {
  RequestHead r;
  REQUIRE(parse_request("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
                        "Content-Length: 3\r\n\r\n", r).empty());
  CHECK(r.expect_continue);
  CHECK(r.has_body());
  CHECK(parse_request("POST / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n\r\n", r) ==
        kUnsupportedExpectation);
}

TEST_CASE("chunked framing in an HTTP/1.0 request is refused (RFC 9112 §6.1)") {
  RequestHead r;
  CHECK(parse_request("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", r) ==
        "Transfer-Encoding in HTTP/1.0");
}

TEST_CASE("a parsed request head keeps its field vector across reuse") {
  RequestHead r;
  std::string first = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
  std::string second = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  REQUIRE(parse_request(first, r).empty());
  REQUIRE(parse_request(second, r).empty());
  CHECK(r.headers.size() == 1);
  CHECK(r.target == "/x");
}

TEST_CASE("a response head yields status, reason, fields, framing and reusability") {
  ResponseHead r;
  std::string not_found = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nETag: \"x\"\r\n\r\n";
  REQUIRE(parse_response(not_found, r).empty());
  CHECK(r.status == 404);
  CHECK(r.reason == "Not Found");
  CHECK(r.content_length == 9u);
  CHECK(r.headers.get("etag") == "\"x\"");
  CHECK(r.keep_alive);
  REQUIRE(parse_response("HTTP/1.0 200 OK\r\n\r\n", r).empty());
  CHECK_FALSE(r.keep_alive);
  REQUIRE(parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                         r).empty());
  CHECK(r.chunked);
  CHECK_FALSE(r.keep_alive);
}

TEST_CASE("a head llhttp did not finish reading is refused (PRI waits for an HTTP/2 preface)") {
  RequestHead r;
  CHECK(parse_request("PRI / HTTP/1.0\r\n\r\n", r) == "malformed request");
}
