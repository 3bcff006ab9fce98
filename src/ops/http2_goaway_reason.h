// Why etagd sent an HTTP/2 client a GOAWAY (RFC 9113 §6.8): the label values of
// etagd_http2_goaways_total, a small fixed set. The error code decides the label of a
// GOAWAY that reports an error; a NO_ERROR one says why etagd ends the connection.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace etagd::ops {

enum class Http2GoawayReason : uint8_t {
  Shutdown,         // NO_ERROR: draining on SIGTERM
  Reload,           // NO_ERROR: a reload; the client is told to open a new connection
  Timeout,          // NO_ERROR: timeouts.client_idle without a stream, or client_header
  PingTimeout,      // NO_ERROR: no frame within timeouts.client_ping of the liveness PING
  ProtocolError,    // PROTOCOL_ERROR: a frame or preface nghttp2 refused
  EnhanceYourCalm,  // ENHANCE_YOUR_CALM: rapid reset, CONTINUATION, SETTINGS or PING floods
  OtherError,       // any other error code (FLOW_CONTROL_ERROR, COMPRESSION_ERROR...)
};
inline constexpr std::array<std::string_view, 7> kHttp2GoawayReasons = {
    "shutdown",      "reload",            "timeout",    "ping_timeout",
    "protocol_error", "enhance_your_calm", "other_error"};

}  // namespace etagd::ops
