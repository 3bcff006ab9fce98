// Framing safety: a request whose framing could be read two ways, or whose
// head holds bytes a lenient parser would tolerate (Debian's llhttp 8.1 accepts several of
// them, see src/http/head_scanner.h), is answered 400 and its connection closed. It never
// reaches the origin, and neither does anything sent after it on the same connection.
#include <doctest/doctest.h>

#include <string>

#include "support/proxy_harness.h"

namespace etagd::testing {
namespace {

using namespace std::string_literals;

const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

// Sends `request` followed by a well-formed request on one connection. Expects exactly one
// answer, a 400, then the close; then a request on a new connection must be the only one the
// origin ever saw.
void expect_refused(std::string_view request) {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client(3000ms);
  c.send_raw(std::string(request) + kSmuggled);
  HttpResponse r = c.read_response();
  CHECK_MESSAGE(r.status == 400, "answer: ", r.raw_head);
  CHECK(r.headers.has_token("Connection", "close"));
  CHECK(c.wait_closed(1000ms));  // etagd sends its FIN right after the 400
  CHECK_MESSAGE(c.read_some(10ms).empty(), "a second answer followed the 400");

  CHECK(http_get(proxy.port(), "/sentinel").status == 200);
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  CHECK(origin.request_count() == 1);
  CHECK(origin.request_count("/sentinel") == 1);
}

std::string post_head(std::string_view fields) {
  return "POST /upload HTTP/1.1\r\nHost: a\r\n" + std::string(fields) + "\r\n";
}

}  // namespace

// --- Content-Length and Transfer-Encoding (RFC 9112 §6.1, §6.3) -----------------------------

TEST_CASE("400: Content-Length together with Transfer-Encoding") {
  expect_refused(post_head("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n");
}

TEST_CASE("400: Transfer-Encoding together with Content-Length, in that order") {
  expect_refused(post_head("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + "0\r\n\r\n");
}

TEST_CASE("400: two different Content-Length values") {
  expect_refused(post_head("Content-Length: 5\r\nContent-Length: 6\r\n") + "hello!");
}

TEST_CASE("400: two equal Content-Length fields") {
  expect_refused(post_head("Content-Length: 5\r\nContent-Length: 5\r\n") + "hello");
}

TEST_CASE("400: a Content-Length list") {
  expect_refused(post_head("Content-Length: 5, 5\r\n") + "hello");
}

TEST_CASE("400: a signed Content-Length") {
  expect_refused(post_head("Content-Length: +5\r\n") + "hello");
}

TEST_CASE("400: a negative Content-Length") {
  expect_refused(post_head("Content-Length: -1\r\n"));
}

TEST_CASE("400: a hexadecimal Content-Length") {
  expect_refused(post_head("Content-Length: 0x5\r\n") + "hello");
}

TEST_CASE("400: a Content-Length too large for 64 bits") {
  expect_refused(post_head("Content-Length: 99999999999999999999999\r\n"));
}

TEST_CASE("400: an unknown transfer coding (gzip)") {
  expect_refused(post_head("Transfer-Encoding: gzip\r\n") + "0\r\n\r\n");
}

TEST_CASE("400: a transfer coding before chunked (gzip, chunked)") {
  expect_refused(post_head("Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n");
}

TEST_CASE("400: chunked applied twice (chunked, chunked)") {
  expect_refused(post_head("Transfer-Encoding: chunked, chunked\r\n") + "0\r\n\r\n");
}

TEST_CASE("400: Transfer-Encoding on two lines") {
  expect_refused(post_head("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n") +
                 "0\r\n\r\n");
}

TEST_CASE("400: Transfer-Encoding with an empty list member (,chunked)") {
  expect_refused(post_head("Transfer-Encoding: ,chunked\r\n") + "0\r\n\r\n");
}

TEST_CASE("400: Transfer-Encoding in an HTTP/1.0 request") {
  expect_refused("POST /upload HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

// --- Bytes in the head (RFC 9112 §2.2, §5) ---------------------------------------------------

TEST_CASE("400: a bare CR inside a field value (CVE-2023-30589)") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\r\nX-Abc: \rxTransfer-Encoding: chunked\r\n\r\n");
}

TEST_CASE("400: a bare CR ending the head") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\r\n\rZ");
}

TEST_CASE("400: bare LF line ends") {
  expect_refused("GET /s HTTP/1.1\nHost: a\n\n");
}

TEST_CASE("400: one bare LF among CRLF line ends") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\nX-Other: b\r\n\r\n");
}

TEST_CASE("400: a NUL byte in a field value") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\r\nX-Nul: a\0b\r\n\r\n"s);
}

TEST_CASE("400: a NUL byte in the request target") {
  expect_refused("GET /s\0x HTTP/1.1\r\nHost: a\r\n\r\n"s);
}

TEST_CASE("400: a control byte in a field value") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\r\nX-Ctl: a\x01z\r\n\r\n");
}

TEST_CASE("400: DEL in a field value") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\r\nX-Del: a\x7fz\r\n\r\n");
}

TEST_CASE("400: an obs-fold continuation line") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n");
}

TEST_CASE("400: an obs-fold continuation line starting with HTAB") {
  expect_refused(
      "GET /s HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n\tTransfer-Encoding: chunked\r\n\r\n");
}

TEST_CASE("400: white space between a field name and its colon") {
  expect_refused("GET /s HTTP/1.1\r\nHost : a\r\n\r\n");
}

TEST_CASE("400: white space between Content-Length and its colon") {
  expect_refused(post_head("Content-Length : 5\r\n") + "hello");
}

TEST_CASE("400: an empty field name") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\r\n: no name\r\n\r\n");
}

TEST_CASE("400: a field name with a character outside token") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n");
}

// --- Chunked bodies (RFC 9112 §7.1) ------------------------------------------------------------

TEST_CASE("400: a chunk size that is not hexadecimal") {
  expect_refused(post_head("Transfer-Encoding: chunked\r\n") + "zz\r\nhello\r\n0\r\n\r\n");
}

TEST_CASE("400: a negative chunk size") {
  expect_refused(post_head("Transfer-Encoding: chunked\r\n") + "-5\r\nhello\r\n0\r\n\r\n");
}

TEST_CASE("400: a chunk size that overflows 64 bits") {
  expect_refused(post_head("Transfer-Encoding: chunked\r\n") +
                 "1ffffffffffffffff5\r\nhello\r\n0\r\n\r\n");
}

TEST_CASE("400: a chunk size line ending in a bare CR") {
  expect_refused(post_head("Transfer-Encoding: chunked\r\n") + "5\rhello\r\n0\r\n\r\n");
}

TEST_CASE("400: a chunk size line ending in a bare LF") {
  expect_refused(post_head("Transfer-Encoding: chunked\r\n") + "5\nhello\r\n0\r\n\r\n");
}

TEST_CASE("400: chunk data longer than its size") {
  expect_refused(post_head("Transfer-Encoding: chunked\r\n") + "5\r\nhello, world\r\n0\r\n\r\n");
}

// --- Request line (RFC 9112 §3) -----------------------------------------------------------------

TEST_CASE("400: an HTTP/0.9 request line") {
  expect_refused("GET /s\r\n\r\n");
}

TEST_CASE("400: an absolute-form target") {
  expect_refused("GET http://evil.example/s HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST_CASE("400: an asterisk-form target") {
  expect_refused("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST_CASE("400: CONNECT") {
  expect_refused("CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n");
}

TEST_CASE("400: an HTTP/1.1 request without Host") {
  expect_refused("GET /s HTTP/1.1\r\nAccept: */*\r\n\r\n");
}

TEST_CASE("400: two Host fields") {
  expect_refused("GET /s HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
}

TEST_CASE("400: the HTTP/2 connection preface") {
  expect_refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
}

TEST_CASE("400: two spaces in the request line") {
  expect_refused("GET  /s HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST_CASE("400: a malformed HTTP version") {
  expect_refused("GET /s HTTP/1.1x\r\nHost: a\r\n\r\n");
}

TEST_CASE("400: a method that is not a token") {
  expect_refused("G{T /s HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST_CASE("400: bytes that are not HTTP at all (a TLS ClientHello)") {
  expect_refused("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s);
}

// --- Host (RFC 9112 §3.2: "a Host header field with an invalid field value" gets 400) ---------
// The value feeds rule matching and the cache key, and is forwarded: it must be a valid
// uri-host [":" port].

TEST_CASE("400: a Host value with a space") {
  expect_refused("GET /s HTTP/1.1\r\nHost: exa mple.com\r\n\r\n");
}

TEST_CASE("400: a Host value with a path") {
  expect_refused("GET /s HTTP/1.1\r\nHost: example.com/evil\r\n\r\n");
}

TEST_CASE("400: a Host value with user info") {
  expect_refused("GET /s HTTP/1.1\r\nHost: user@example.com\r\n\r\n");
}

TEST_CASE("400: a Host value with a non-numeric port") {
  expect_refused("GET /s HTTP/1.1\r\nHost: example.com:http\r\n\r\n");
}

}  // namespace etagd::testing
