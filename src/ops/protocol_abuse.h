// A client connection etagd ended because the client broke one of the bounds of its protocol
// (HTTP/2: resetting streams faster than allowed, endless CONTINUATION frames, oversized
// SETTINGS, a header list over the limit...). The error log gets a warning naming the peer and
// the bound, rate-limited per kind like the other error-log lines (log_rate_limit.h), so that
// an attack from many connections writes a bounded number of lines.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace etagd::ops {

enum class ProtocolAbuse : uint8_t {
  RapidReset,    // RST_STREAM faster than the bound (CVE-2023-44487)
  FrameFlood,    // CONTINUATION flood, SETTINGS or PING acknowledgements piling up
  ProtocolError, // anything else nghttp2 refused as fatal for the connection
};
inline constexpr std::array<std::string_view, 3> kProtocolAbuseNames = {
    "rapid reset", "frame flood", "protocol error"};

// "closing HTTP/2 connection from 203.0.113.9: rapid reset; GOAWAY ENHANCE_YOUR_CALM"
std::string protocol_abuse_log_line(ProtocolAbuse kind, std::string_view peer,
                                    std::string_view answer);

// Logs it at warning, rate-limited per kind.
void report_protocol_abuse(ProtocolAbuse kind, std::string_view peer, std::string_view answer);

}  // namespace etagd::ops
