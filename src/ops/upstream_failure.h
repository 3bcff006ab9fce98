// Upstream failures (connection refused, reset, timeouts, a response with bad framing) as the
// error log shows them: one warning per failure with the upstream's address, the request and
// the reason, rate-limited per kind of failure (log_rate_limit.h) so that an upstream that is
// down while traffic continues writes a bounded number of lines. The metric
// (etagd_upstream_errors_total{kind}) counts every failure; the log samples them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "ops/upstream_error.h"

namespace etagd::ops {

struct UpstreamFailure {
  UpstreamError kind = UpstreamError::ConnectFailed;  // its reason: upstream_error_text()
  std::string_view host;  // the server the request went to; empty: unknown
  uint16_t port = 0;
  std::string_view method;        // the request as the client sent it
  std::string_view target;
  std::string_view client;        // peer address; empty for a background refresh
  uint64_t body_bytes_sent = 0;   // of the answer, when its head had already gone out
  bool response_started = false;  // the head was sent: the client sees a cut connection
  // What the transport knows beyond the kind: why a TLS handshake failed ("unknown CA
  // (unable to get local issuer certificate)"); empty when there is nothing more to say.
  std::string_view detail;
};

// Writes the warning unless this kind's rate limit says otherwise (then it is counted and
// announced as "N similar messages suppressed" before the next one). Thread-safe.
void report_upstream_failure(const UpstreamFailure& failure);

// The warning's text, without the rate limiting: "upstream 127.0.0.1:9000: upstream read
// timeout; request \"GET /api/x\" from 127.0.0.1". The target is escaped and cut at 256 bytes.
std::string upstream_failure_log_line(const UpstreamFailure& failure);

}  // namespace etagd::ops
