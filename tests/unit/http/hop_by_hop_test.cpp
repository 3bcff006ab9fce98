#include "http/hop_by_hop.h"

#include <doctest/doctest.h>

#include <string>

using etagd::http::HeaderList;
using etagd::http::ConnectionOptions;
using etagd::http::is_hop_by_hop;

namespace {

bool is_connection_specific(std::string_view name, const HeaderList& headers) {
  return ConnectionOptions(headers).is_specific(name);
}

}  // namespace

TEST_CASE("the RFC 9110 §7.6.1 connection fields are hop-by-hop in any case") {
  for (std::string name :
       {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding",
        "Upgrade", "connection", "KEEP-ALIVE", "te", "transfer-encoding", "UPGRADE"}) {
    CAPTURE(name);
    CHECK(is_hop_by_hop(name));
  }
}

TEST_CASE("every Proxy-* field is hop-by-hop") {
  CHECK(is_hop_by_hop("Proxy-Authorization"));
  CHECK(is_hop_by_hop("Proxy-Authenticate"));
  CHECK(is_hop_by_hop("proxy-authentication-info"));
  CHECK(is_hop_by_hop("Proxy-Status"));
  // Whatever its length, including those of the named hop-by-hop fields.
  CHECK(is_hop_by_hop("Proxy-X"));
  CHECK(is_hop_by_hop("Proxy-Auth"));
  CHECK(is_hop_by_hop("Proxy-Abcdefghijkl"));
}

TEST_CASE("end-to-end fields are not hop-by-hop") {
  for (std::string name : {"Content-Length", "Host", "Cache-Control", "ETag", "Authorization",
                           "Trailers", "Upgrade-Insecure-Requests", "TEs", "Proxy", "X-Proxy-Id",
                           "Connection-Id", "Keep-Alive-Timeout", ""}) {
    CAPTURE(name);
    CHECK(!is_hop_by_hop(name));
  }
}

TEST_CASE("fields named in Connection are connection-specific") {
  HeaderList headers;
  headers.add("Host", "example.com");
  headers.add("Connection", "close, X-Trace");
  headers.add("X-Trace", "1");
  headers.add("connection", " x-debug ,  ,Foo");
  CHECK(is_connection_specific("X-Trace", headers));
  CHECK(is_connection_specific("x-trace", headers));
  CHECK(is_connection_specific("X-Debug", headers));
  CHECK(is_connection_specific("foo", headers));
  CHECK(is_connection_specific("close", headers));
  CHECK(!is_connection_specific("X-Other", headers));
  CHECK(!is_connection_specific("Host", headers));
  CHECK(!is_connection_specific("X-Trac", headers));
}

TEST_CASE("hop-by-hop fields are connection-specific without any Connection field") {
  HeaderList none;
  CHECK(is_connection_specific("Keep-Alive", none));
  CHECK(is_connection_specific("Proxy-Authorization", none));
  CHECK(!is_connection_specific("X-Trace", none));
}

TEST_CASE("a value that only contains a listed name does not make it connection-specific") {
  HeaderList headers;
  headers.add("X-Note", "Connection: X-Trace");
  headers.add("Connection", "X-Trace-Id");
  CHECK(!is_connection_specific("X-Trace", headers));
  CHECK(is_connection_specific("X-Trace-Id", headers));
}

TEST_CASE("options listed after close and keep-alive are still connection-specific") {
  HeaderList headers;
  headers.add("Connection", "keep-alive");
  headers.add("Connection", "close, keep-alive, X-Late");
  CHECK(is_connection_specific("X-Late", headers));
  CHECK(is_connection_specific("Close", headers));
  CHECK(!is_connection_specific("X-Other", headers));
}

TEST_CASE("Connection: keep-alive alone makes no end-to-end field connection-specific") {
  HeaderList headers;
  headers.add("Connection", "Keep-Alive");
  headers.add("Keep-Alive", "timeout=5");
  CHECK(is_connection_specific("Keep-Alive", headers));
  CHECK(!is_connection_specific("Close", headers));
  CHECK(!is_connection_specific("ETag", headers));
  CHECK(!is_connection_specific("Cache-Control", headers));
}
