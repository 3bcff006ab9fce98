// Why etagd sent an HTTP/2 client a GOAWAY (RFC 9113 §6.8): the label values of
// etagd_http2_goaways_total, a small fixed set.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace etagd::ops {

enum class Http2GoawayReason : uint8_t {
  PingTimeout,  // no frame within timeouts.client_ping of the liveness PING (NO_ERROR)
};
inline constexpr std::array<std::string_view, 1> kHttp2GoawayReasons = {"ping_timeout"};

}  // namespace etagd::ops
