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
// failures are of the handshake itself, or the client's verdict on etagd's certificate:
// `protocol` (no common version or cipher, a bad record, any other alert), `plain_http` (an
// HTTP request sent to the TLS port), `incomplete` (the connection closed after the first
// bytes of the handshake, by the client or at client_header, before it finished),
// `unknown_ca` and `expired` (the client's alert says it does not trust the chain, or the
// certificate has expired: an incomplete chain or a renewal to make) and
// `certificate_rejected` (any other certificate alert, e.g. a name that does not match).
enum class ClientTlsHandshakeResult : uint8_t {
  Full, Resumed, Protocol, PlainHttp, Incomplete, UnknownCa, Expired, CertificateRejected
};

inline constexpr std::array<std::string_view, 8> kClientTlsHandshakeResultNames = {
    "full",       "resumed",    "protocol", "plain_http",
    "incomplete", "unknown_ca", "expired",  "certificate_rejected"};
static_assert(kClientTlsHandshakeResultNames.size() ==
              static_cast<size_t>(ClientTlsHandshakeResult::CertificateRejected) + 1);

}  // namespace etagd::ops
