#include "ops/upstream_failure.h"

#include <doctest/doctest.h>

namespace etagd::ops {
namespace {

TEST_CASE("an upstream failure's log line names upstream, reason, request and client") {
  UpstreamFailure f;
  f.kind = UpstreamError::ReadTimeout;
  f.host = "10.0.0.7";
  f.port = 9000;
  f.method = "GET";
  f.target = "/api/slow?x=\"1\"";
  f.client = "192.0.2.1";
  CHECK(upstream_failure_log_line(f) ==
        R"(upstream 10.0.0.7:9000: upstream read timeout; request "GET /api/slow?x=\"1\"" from 192.0.2.1)");

  f.host = "::1";
  f.client = "";
  f.response_started = true;
  f.body_bytes_sent = 1234;
  CHECK(upstream_failure_log_line(f) ==
        R"(upstream [::1]:9000: upstream read timeout; request "GET /api/slow?x=\"1\"" )"
        "(background refresh); response cut after 1234 body bytes");
}

}  // namespace
}  // namespace etagd::ops
