#include "net/tls_handshake_failure.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

namespace etagd::net {

std::string_view tls_handshake_failure_name(TlsHandshakeFailure f) {
  switch (f) {
    case TlsHandshakeFailure::None: return "";
    case TlsHandshakeFailure::Expired: return "expired";
    case TlsHandshakeFailure::UnknownCa: return "unknown_ca";
    case TlsHandshakeFailure::NameMismatch: return "name_mismatch";
    case TlsHandshakeFailure::Protocol: return "protocol";
  }
  return "protocol";
}

namespace {

TlsHandshakeFailure classify_verify_result(long result) {
  switch (result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return TlsHandshakeFailure::Expired;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return TlsHandshakeFailure::UnknownCa;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return TlsHandshakeFailure::NameMismatch;
    default:
      return TlsHandshakeFailure::Protocol;
  }
}

std::string_view class_text(TlsHandshakeFailure f) {
  switch (f) {
    case TlsHandshakeFailure::Expired: return "certificate expired";
    case TlsHandshakeFailure::UnknownCa: return "unknown CA";
    case TlsHandshakeFailure::NameMismatch: return "name mismatch";
    default: return "certificate rejected";
  }
}

}  // namespace

TlsHandshakeDiagnosis diagnose_tls_handshake(const SSL* ssl) {
  TlsHandshakeDiagnosis d;
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    d.failure = classify_verify_result(verify);
    d.text = std::string(class_text(d.failure)) + " (" + X509_verify_cert_error_string(verify) + ")";
    ERR_clear_error();
    return d;
  }
  d.failure = TlsHandshakeFailure::Protocol;
  unsigned long e = ERR_get_error();
  char buf[256];
  if (e != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    // "error:0A00010B:SSL routines::wrong version number": the reason is what a person reads.
    const char* reason = ERR_reason_error_string(e);
    d.text = std::string("protocol (") + (reason != nullptr ? reason : buf) + ")";
  } else {
    d.text = "protocol (connection closed during the handshake)";
  }
  ERR_clear_error();
  return d;
}

}  // namespace etagd::net
