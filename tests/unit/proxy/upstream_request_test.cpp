// The request etagd sends upstream: its own framing always (RFC 9112 §6), hop-by-hop fields
// dropped, X-Forwarded-For and Via appended, conditionals replaced by etagd's own validators
// when it revalidates a stored entry.
#include "proxy/upstream_request.h"

#include <doctest/doctest.h>

#include "base/event_handles.h"
#include "parsed_message.h"

using etagd::config::UpstreamConfig;
using etagd::proxy::UpstreamRequestOptions;
using etagd::proxy::write_upstream_request_head;
using etagd::proxy::testing::ParsedRequest;

namespace {

std::string written(const ParsedRequest& req, const UpstreamConfig& up,
                    const UpstreamRequestOptions& o) {
  etagd::base::EvbufferPtr out = etagd::base::make_evbuffer();
  write_upstream_request_head(out.get(), req, up, o);
  std::string s(evbuffer_get_length(out.get()), '\0');
  evbuffer_copyout(out.get(), s.data(), s.size());
  return s;
}

UpstreamConfig upstream() {
  UpstreamConfig u;
  u.authority = "origin:9000";
  return u;
}

}  // namespace

TEST_CASE("a GET goes upstream with Host, the client's fields, X-Forwarded-* and Via") {
  ParsedRequest req(
      "GET /items?x=1 HTTP/1.1\r\nHost: api.example\r\nAccept: */*\r\nConnection: keep-alive, X-Hop\r\n"
      "X-Hop: 1\r\nX-Forwarded-For: 10.0.0.1\r\nTE: trailers\r\n");
  UpstreamRequestOptions o;
  o.client_address = "192.0.2.7";
  CHECK(written(req, upstream(), o) ==
        "GET /items?x=1 HTTP/1.1\r\nHost: api.example\r\nAccept: */*\r\n"
        "X-Forwarded-For: 10.0.0.1, 192.0.2.7\r\nX-Forwarded-Proto: http\r\nVia: 1.1 etagd\r\n\r\n");
}

TEST_CASE("a body is re-framed with etagd's own Content-Length, never the client's framing") {
  ParsedRequest req("POST /items HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n");
  UpstreamRequestOptions o;
  o.method = etagd::http::Method::Post;
  o.body_length = 11;
  o.client_address = "192.0.2.7";
  std::string head = written(req, upstream(), o);
  CHECK(head.rfind("POST /items HTTP/1.1\r\n", 0) == 0);
  CHECK(head.find("Transfer-Encoding") == std::string::npos);
  CHECK(head.find("Content-Length: 11\r\n") != std::string::npos);
}

TEST_CASE("a revalidation replaces the client's conditionals with the stored validators") {
  ParsedRequest req(
      "GET /doc HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"client\"\r\nRange: bytes=0-1\r\n");
  UpstreamRequestOptions o;
  o.strip_conditionals = true;
  o.if_none_match = "\"stored\"";
  o.if_modified_since = 0;
  std::string head = written(req, upstream(), o);
  CHECK(head.find("\"client\"") == std::string::npos);
  CHECK(head.find("Range") == std::string::npos);
  CHECK(head.find("If-None-Match: \"stored\"\r\n") != std::string::npos);
  CHECK(head.find("If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n") != std::string::npos);
}

TEST_CASE("a HEAD miss is fetched as GET, and a base path prefixes the target") {
  ParsedRequest req("HEAD /doc HTTP/1.1\r\nHost: a\r\n");
  UpstreamConfig up = upstream();
  up.base_path = "/v2";
  UpstreamRequestOptions o;
  o.method = etagd::http::Method::Get;
  CHECK(written(req, up, o).rfind("GET /v2/doc HTTP/1.1\r\n", 0) == 0);
}

TEST_CASE("host_header chooses what the upstream sees as Host") {
  ParsedRequest req("GET / HTTP/1.1\r\nHost: api.example\r\n");
  UpstreamConfig up = upstream();
  up.host_header = etagd::config::HostHeader::Upstream;
  CHECK(written(req, up, {}).find("Host: origin:9000\r\n") != std::string::npos);
  up.host_header = etagd::config::HostHeader::Fixed;
  up.fixed_host = "legacy.internal";
  CHECK(written(req, up, {}).find("Host: legacy.internal\r\n") != std::string::npos);
}
