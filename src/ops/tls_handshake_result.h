// How one TLS handshake ended, as the metrics count it (etagd_upstream_tls_handshakes_total
// and etagd_client_tls_handshakes_total {result}): a full handshake, a resumed session (no
// certificate exchange, one round trip fewer), or the class of failure an operator acts on.
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

// A client's handshake with a TLS listener. etagd does not verify client certificates, so the
// failures are of the handshake itself: `protocol` (no common version or cipher, a bad record,
// an alert from the client, e.g. one that does not trust our certificate), `plain_http` (an
// HTTP request sent to the TLS port), `incomplete` (the connection closed after the
// first bytes of the handshake, by the client or at client_header, before it finished).
enum class ClientTlsHandshakeResult : uint8_t { Full, Resumed, Protocol, PlainHttp, Incomplete };

inline constexpr std::array<std::string_view, 5> kClientTlsHandshakeResultNames = {
    "full", "resumed", "protocol", "plain_http", "incomplete"};

}  // namespace etagd::ops
