// The error-log line for a client connection closed for breaking a protocol bound.
#include "ops/protocol_abuse.h"

#include <doctest/doctest.h>

using namespace etagd::ops;

namespace {

TEST_CASE("a connection closed for abuse is logged with the peer, the bound it broke and the answer") {
  CHECK(protocol_abuse_log_line(ProtocolAbuse::RapidReset, "203.0.113.9",
                                "GOAWAY ENHANCE_YOUR_CALM") ==
        "closing HTTP/2 connection from 203.0.113.9: rapid reset; GOAWAY ENHANCE_YOUR_CALM");
  CHECK(protocol_abuse_log_line(ProtocolAbuse::FrameFlood, "::1", "GOAWAY ENHANCE_YOUR_CALM") ==
        "closing HTTP/2 connection from ::1: frame flood; GOAWAY ENHANCE_YOUR_CALM");
}

}  // namespace
