// How a client connection came to speak HTTP/2: the label values of
// etagd_http2_connections_total.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace etagd::ops {

enum class Http2Start : uint8_t {
  Alpn,            // TLS whose ALPN chose h2 (RFC 9113 §3.2)
  PriorKnowledge,  // the connection preface without ALPN h2, h2c on a cleartext port (§3.3)
};
inline constexpr std::array<std::string_view, 2> kHttp2StartNames = {"alpn", "prior_knowledge"};

}  // namespace etagd::ops
