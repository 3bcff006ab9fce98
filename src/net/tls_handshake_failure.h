// Why a TLS handshake failed, in the few classes an operator acts on differently: the peer's
// certificate has expired (or is not valid yet), it was issued by a CA etagd does not trust,
// it names another host, or the handshake itself failed (no common protocol version or
// cipher, an alert from the peer such as "certificate required", plain HTTP on a TLS port).
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace etagd::net {

enum class TlsHandshakeFailure : uint8_t { None, Expired, UnknownCa, NameMismatch, Protocol };

// "expired", "unknown_ca", "name_mismatch", "protocol" (metric label values); "" for None.
std::string_view tls_handshake_failure_name(TlsHandshakeFailure f);

struct TlsHandshakeDiagnosis {
  TlsHandshakeFailure failure = TlsHandshakeFailure::Protocol;
  std::string text;  // "unknown CA (unable to get local issuer certificate)"
};

// Classifies a handshake that failed on `ssl`: the certificate verification result when
// verification failed, else the first error on this thread's OpenSSL error queue (which it
// consumes).
TlsHandshakeDiagnosis diagnose_tls_handshake(const SSL* ssl);

}  // namespace etagd::net
