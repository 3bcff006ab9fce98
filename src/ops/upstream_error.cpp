#include "ops/upstream_error.h"

namespace etagd::ops {

std::string_view upstream_error_kind(UpstreamError e) {
  switch (e) {
    case UpstreamError::ConnectFailed: return "connect_failed";
    case UpstreamError::ConnectTimeout: return "connect_timeout";
    case UpstreamError::ReadTimeout: return "read_timeout";
    case UpstreamError::ClosedBeforeResponse: return "closed";
    case UpstreamError::InvalidResponse: return "invalid_response";
    case UpstreamError::TruncatedBody: return "truncated";
    case UpstreamError::SendFailed: return "send_failed";
    case UpstreamError::TlsHandshakeFailed: return "tls_handshake";
  }
  return "other";
}

std::string_view upstream_error_text(UpstreamError e) {
  switch (e) {
    case UpstreamError::ConnectFailed: return "upstream connection failed";
    case UpstreamError::ConnectTimeout: return "upstream connect timeout";
    case UpstreamError::ReadTimeout: return "upstream read timeout";
    case UpstreamError::ClosedBeforeResponse: return "upstream closed the connection";
    case UpstreamError::InvalidResponse: return "invalid upstream response";
    case UpstreamError::TruncatedBody: return "upstream response truncated";
    case UpstreamError::SendFailed: return "upstream send failed";
    case UpstreamError::TlsHandshakeFailed: return "upstream TLS handshake failed";
  }
  return "upstream error";
}

int upstream_error_status(UpstreamError e) {
  return e == UpstreamError::ConnectTimeout || e == UpstreamError::ReadTimeout ? 504 : 502;
}

}  // namespace etagd::ops
