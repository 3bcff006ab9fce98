// Http2RequestFields: an HTTP/2 request's fields, as nghttp2 reports them, become the
// RequestHead an HTTP/1.1 request would (RFC 9113 §8.3.1), with the same checks.
#include "proxy/http2_request.h"

#include <doctest/doctest.h>

#include <string>

using namespace etagd;
using proxy::Http2RequestFields;

namespace {

Http2RequestFields get(std::string_view path, std::string_view authority = "api.example") {
  Http2RequestFields f;
  f.add(":method", "GET");
  f.add(":scheme", "http");
  if (!authority.empty()) f.add(":authority", authority);
  f.add(":path", path);
  return f;
}

TEST_CASE("an HTTP/2 request's :authority becomes the Host an HTTP/1.1 upstream needs") {
  Http2RequestFields f = get("/api/items?page=2");
  f.add("accept", "application/json");
  http::RequestHead head;
  REQUIRE(f.make_head(head).empty());
  CHECK(head.method == http::Method::Get);
  CHECK(head.method_token == "GET");
  CHECK(head.target == "/api/items?page=2");
  CHECK(head.path == "/api/items");
  CHECK(head.query == "page=2");
  CHECK(head.host == "api.example");
  CHECK(head.headers.get("host") == "api.example");
  CHECK(head.headers.count("host") == 1);
  CHECK(head.headers.get("accept") == "application/json");
  CHECK(head.version_minor == 1);
  CHECK(head.version_major == 2);
  CHECK_FALSE(head.has_body());
}

TEST_CASE("a Host field that names the :authority is kept, one naming another is refused") {
  Http2RequestFields same = get("/x", "api.example");
  same.add("host", "API.example");
  http::RequestHead head;
  CHECK(same.make_head(head).empty());
  CHECK(head.headers.count("host") == 1);

  Http2RequestFields other = get("/x", "api.example");
  other.add("host", "evil.example");
  CHECK(other.make_head(head) == "Host differs from :authority");
}

TEST_CASE("without :authority the Host field is the authority, and without either the request is refused") {
  Http2RequestFields with_host = get("/x", "");
  with_host.add("host", "api.example:8080");
  http::RequestHead head;
  CHECK(with_host.make_head(head).empty());
  CHECK(head.host == "api.example:8080");

  Http2RequestFields neither = get("/x", "");
  CHECK(neither.make_head(head) == "missing Host");
}

TEST_CASE("cookies split into several HTTP/2 fields are joined into one field, semicolon and space between") {
  Http2RequestFields f = get("/x");
  f.add("cookie", "a=1");
  f.add("accept", "*/*");
  f.add("cookie", "sessionid=s3");
  f.add("cookie", "b=2");
  http::RequestHead head;
  REQUIRE(f.make_head(head).empty());
  CHECK(head.headers.count("cookie") == 1);
  CHECK(head.headers.get("cookie") == "a=1; sessionid=s3; b=2");
  CHECK(head.headers.get("accept") == "*/*");
}

TEST_CASE("HTTP/2 requests pass the HTTP/1.1 request checks: origin-form, no CONNECT, a valid Host") {
  http::RequestHead head;
  CHECK(get("*").make_head(head) == "request target must be origin-form");
  CHECK(get("/a#frag").make_head(head) == "fragment in request target");
  CHECK(get("/x", "bad host").make_head(head) == "invalid Host");
  Http2RequestFields connect;
  connect.add(":method", "CONNECT");
  connect.add(":authority", "api.example:443");
  CHECK(connect.make_head(head) == "CONNECT not supported");
  Http2RequestFields expect = get("/x");
  expect.add("expect", "something-else");
  CHECK(expect.make_head(head) == http::kUnsupportedExpectation);
}

TEST_CASE("an HTTP/2 request's content-length is its announced body length") {
  Http2RequestFields f = get("/upload");
  f.add("content-length", "12");
  http::RequestHead head;
  REQUIRE(f.make_head(head).empty());
  CHECK(head.content_length == 12);
  CHECK(head.has_body());
}

TEST_CASE("the header list size counts names, values and 32 bytes per field (RFC 9113 §6.5.2)") {
  Http2RequestFields f;
  f.add(":method", "GET");
  f.add("x-a", "12345");
  CHECK(f.list_size() == (7 + 3 + 32) + (3 + 5 + 32));
  CHECK(f.count() == 1);  // pseudo-header fields are not regular fields
}

}  // namespace
