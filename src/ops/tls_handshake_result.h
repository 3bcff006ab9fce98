// How one TLS handshake ended, as the metrics count it (etagd_upstream_tls_handshakes_total
// {result}): a full handshake, a resumed session (no certificate exchange, one round trip
// fewer), or the class of failure an operator acts on.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace etagd::ops {

enum class TlsHandshakeResult : uint8_t { Full, Resumed, Expired, UnknownCa, NameMismatch, Protocol };

inline constexpr std::array<std::string_view, 6> kTlsHandshakeResultNames = {
    "full", "resumed", "expired", "unknown_ca", "name_mismatch", "protocol"};

inline std::string_view tls_handshake_result_name(TlsHandshakeResult r) {
  return kTlsHandshakeResultNames[static_cast<size_t>(r)];
}

}  // namespace etagd::ops
