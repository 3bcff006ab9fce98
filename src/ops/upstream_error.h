// Why an upstream request failed: one enum for the proxy that detects it, the metrics that
// count it (etagd_upstream_errors_total{kind}) and the logs and answers that name it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace etagd::ops {

enum class UpstreamError : uint8_t {
  ConnectFailed,         // refused, unreachable: 502
  ConnectTimeout,        // 504
  ReadTimeout,           // 504
  ClosedBeforeResponse,  // EOF/reset before any response byte: 502 (retried if safe)
  InvalidResponse,       // bad head or framing: 502
  TruncatedBody,         // EOF/reset inside a framed body
  SendFailed,            // write error while sending the request
  TlsHandshakeFailed,    // https upstream: certificate refused, no common protocol...: 502
};
inline constexpr size_t kUpstreamErrorCount = 8;

// The metric label value: "connect_failed", "connect_timeout", "read_timeout", "closed",
// "invalid_response", "truncated", "send_failed", "tls_handshake".
std::string_view upstream_error_kind(UpstreamError e);
// The reason a client reads in etagd's 502/504 answer: "upstream connection failed"...
std::string_view upstream_error_text(UpstreamError e);
// 504 for the timeouts, 502 for everything else.
int upstream_error_status(UpstreamError e);

}  // namespace etagd::ops
