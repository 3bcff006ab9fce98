// The request etagd sends upstream: its own framing always (RFC 9112 §6), hop-by-hop fields
// dropped, X-Forwarded-For and Via appended, conditionals replaced by etagd's own validators
// when it revalidates a stored entry.
#include "proxy/upstream_request.h"

#include <doctest/doctest.h>

#include "base/event_handles.h"
#include "parsed_message.h"
#include "proxy/http2_request.h"

using etagd::config::UpstreamConfig;
using etagd::proxy::ClientIdentity;
using etagd::proxy::UpstreamRequestOptions;
using etagd::proxy::write_upstream_request_head;
using etagd::proxy::testing::ParsedRequest;

namespace {

std::string written(const etagd::http::RequestHead& req, const UpstreamConfig& up,
                    const UpstreamRequestOptions& o) {
  etagd::base::EvbufferPtr out = etagd::base::make_evbuffer();
  write_upstream_request_head(out.get(), req, up, o);
  std::string s(evbuffer_get_length(out.get()), '\0');
  evbuffer_copyout(out.get(), s.data(), s.size());
  return s;
}

const ClientIdentity kClient{"192.0.2.7", "192.0.2.7", false, "http", 8080};

UpstreamRequestOptions options() {
  UpstreamRequestOptions o;
  o.client = &kClient;
  return o;
}

UpstreamConfig upstream() {
  UpstreamConfig u;
  u.authority = "origin:9000";
  return u;
}

}  // namespace

TEST_CASE("a GET goes upstream with Host, the client's fields, etagd's X-Forwarded-* and Via") {
  ParsedRequest req(
      "GET /items?x=1 HTTP/1.1\r\nHost: api.example\r\nAccept: */*\r\nConnection: keep-alive, X-Hop\r\n"
      "X-Hop: 1\r\nX-Forwarded-For: 10.0.0.1\r\nTE: trailers\r\n");
  CHECK(written(req, upstream(), options()) ==
        "GET /items?x=1 HTTP/1.1\r\nHost: api.example\r\nAccept: */*\r\n"
        "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: api.example\r\n"
        "X-Forwarded-Port: 8080\r\nVia: 1.1 etagd\r\n\r\n");
}

TEST_CASE("a request that came over HTTP/2 names HTTP/2 as the protocol received in Via") {
  etagd::proxy::Http2RequestFields fields;
  fields.add(":method", "GET");
  fields.add(":scheme", "http");
  fields.add(":authority", "api.example");
  fields.add(":path", "/items");
  fields.add("via", "1.1 edge");
  etagd::http::RequestHead req;
  REQUIRE(fields.make_head(req).empty());
  std::string head = written(req, upstream(), options());
  CHECK(head.find("\r\nVia: 1.1 edge, 2 etagd\r\n") != std::string::npos);
}

TEST_CASE("a body is re-framed with etagd's own Content-Length, never the client's framing") {
  ParsedRequest req("POST /items HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n");
  UpstreamRequestOptions o = options();
  o.method = etagd::http::Method::Post;
  o.body_length = 11;
  std::string head = written(req, upstream(), o);
  CHECK(head.rfind("POST /items HTTP/1.1\r\n", 0) == 0);
  CHECK(head.find("Transfer-Encoding") == std::string::npos);
  CHECK(head.find("Content-Length: 11\r\n") != std::string::npos);
}

TEST_CASE("a revalidation replaces the client's conditionals with the stored validators") {
  ParsedRequest req(
      "GET /doc HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"client\"\r\nRange: bytes=0-1\r\n");
  UpstreamRequestOptions o = options();
  o.strip_conditionals = true;
  o.if_none_match = "\"stored\"";
  o.if_modified_since = 0;
  std::string head = written(req, upstream(), o);
  CHECK(head.find("\"client\"") == std::string::npos);
  CHECK(head.find("Range") == std::string::npos);
  CHECK(head.find("If-None-Match: \"stored\"\r\n") != std::string::npos);
  CHECK(head.find("If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n") != std::string::npos);
}

TEST_CASE("a forwarded Range miss keeps Range and If-Range, and drops the other conditionals") {
  ParsedRequest req("GET /doc HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"client\"\r\n"
                    "Range: bytes=0-1\r\nIf-Range: \"v1\"\r\n");
  UpstreamRequestOptions o = options();
  o.strip_conditionals = true;
  o.keep_range = true;
  std::string head = written(req, upstream(), o);
  CHECK(head.find("If-None-Match") == std::string::npos);
  CHECK(head.find("Range: bytes=0-1\r\n") != std::string::npos);
  CHECK(head.find("If-Range: \"v1\"\r\n") != std::string::npos);
}

TEST_CASE("a HEAD miss is fetched as GET, and a base path prefixes the target") {
  ParsedRequest req("HEAD /doc HTTP/1.1\r\nHost: a\r\n");
  UpstreamConfig up = upstream();
  up.base_path = "/v2";
  UpstreamRequestOptions o = options();
  o.method = etagd::http::Method::Get;
  CHECK(written(req, up, o).rfind("GET /v2/doc HTTP/1.1\r\n", 0) == 0);
}

TEST_CASE("host_header chooses what the upstream sees as Host") {
  ParsedRequest req("GET / HTTP/1.1\r\nHost: api.example\r\n");
  UpstreamConfig up = upstream();
  up.host_header = etagd::config::HostHeader::Upstream;
  CHECK(written(req, up, options()).find("Host: origin:9000\r\n") != std::string::npos);
  up.host_header = etagd::config::HostHeader::Fixed;
  up.fixed_host = "legacy.internal";
  CHECK(written(req, up, options()).find("Host: legacy.internal\r\n") != std::string::npos);
}

TEST_CASE("a trusted proxy's forwarding fields are kept and X-Forwarded-For extended") {
  ParsedRequest req(
      "GET / HTTP/1.1\r\nHost: api\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"
      "X-Forwarded-Host: api.example\r\nX-Forwarded-Port: 443\r\nForwarded: for=203.0.113.9\r\n");
  const ClientIdentity lb{"10.0.0.5", "203.0.113.9", true, "http", 8080};
  UpstreamRequestOptions o;
  o.client = &lb;
  std::string head = written(req, upstream(), o);
  CHECK(head.find("X-Forwarded-For: 203.0.113.9, 10.0.0.5\r\n") != std::string::npos);
  CHECK(head.find("X-Forwarded-Proto: https\r\n") != std::string::npos);
  CHECK(head.find("X-Forwarded-Host: api.example\r\n") != std::string::npos);
  CHECK(head.find("X-Forwarded-Port: 443\r\n") != std::string::npos);
  CHECK(head.find("Forwarded: for=203.0.113.9\r\n") != std::string::npos);
}

TEST_CASE("anyone else's forwarding fields are replaced by what etagd saw, or dropped") {
  ParsedRequest req(
      "GET / HTTP/1.1\r\nHost: api\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n"
      "X-Forwarded-Host: evil\r\nX-Forwarded-Port: 1\r\nForwarded: for=6.6.6.6\r\n");
  std::string head = written(req, upstream(), options());
  CHECK(head.find("6.6.6.6") == std::string::npos);
  CHECK(head.find("https") == std::string::npos);
  CHECK(head.find("evil") == std::string::npos);
  CHECK(head.find("X-Forwarded-Host: api\r\n") != std::string::npos);
  CHECK(head.find("X-Forwarded-Port: 8080\r\n") != std::string::npos);
  CHECK(head.find("Forwarded:") == std::string::npos);
}

TEST_CASE("with forwarded: rfc7239 etagd adds its Forwarded element, IPv6 in brackets, quoted") {
  ParsedRequest req("GET / HTTP/1.1\r\nHost: api.example:8080\r\n");
  UpstreamConfig up = upstream();
  up.forwarded = etagd::config::ForwardedHeader::Rfc7239;
  const ClientIdentity v6{"2001:db8::7", "2001:db8::7", false, "https", 443};
  UpstreamRequestOptions o;
  o.client = &v6;
  CHECK(written(req, up, o).find(
            "Forwarded: for=\"[2001:db8::7]\";proto=https;host=\"api.example:8080\"\r\n") !=
        std::string::npos);
}
