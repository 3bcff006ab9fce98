// Requests refused before an exchange answers them: a malformed head, a body or head over
// the limits, a client too slow to send its request. One call reports a refusal everywhere
// an operator looks: the access log (with the request line when it was read),
// etagd_requests_total and etagd_client_errors_total{reason}, and the error log at info with
// the reason and the peer address, rate-limited per reason (log_rate_limit.h) so that a
// flood of garbage cannot fill the disk.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message_head.h"

namespace etagd::ops {

class AccessLog;
class WorkerMetrics;

// The label values of etagd_client_errors_total: one per refusal status, so the set is small
// and fixed (the free-text reason goes to the logs, never into a label).
enum class ClientErrorReason : uint8_t {
  BadRequest,           // 400: malformed head, framing or body
  Timeout,              // 408: head or body not received within client_header/client_body
  BodyTooLarge,         // 413: limits.max_request_body
  UriTooLong,           // 414
  ExpectationFailed,    // 417: an Expect other than 100-continue
  HeaderTooLarge,       // 431: limits.max_header_bytes / max_headers
  NotImplemented,       // 501
  VersionNotSupported,  // 505
  Other,
};
inline constexpr std::array<std::string_view, 9> kClientErrorReasons = {
    "bad_request",        "timeout",         "body_too_large",
    "uri_too_long",       "expectation_failed", "header_too_large",
    "not_implemented",    "version_not_supported", "other"};

ClientErrorReason client_error_reason(int status);

struct ClientRefusal {
  int status = 400;
  std::string_view reason;  // the one-line reason the answer carries
  std::string_view client;  // peer address
  // The request, when its head was parsed (possibly only in part: a missing Host leaves the
  // request line filled in); null when the head itself could not be read.
  const http::RequestHead* request = nullptr;
  uint64_t body_bytes = 0;  // of the error answer
  // As the client spoke ("HTTP/2.0"); empty: HTTP/1.x, as the request's version says.
  std::string_view protocol;
};

// Counts the refusal in `metrics` (the calling worker's), writes its access log line when
// `access_log` is not null, and logs it (rate-limited). Not for the hot path: it formats.
void report_refusal(WorkerMetrics& metrics, AccessLog* access_log, const ClientRefusal& refusal);

// The error-log line for a refusal, without the rate limiting: "refused 400 to 127.0.0.1:
// missing Host; request \"GET /x HTTP/1.1\"". Control bytes in the request line are escaped and
// it is cut at 256 bytes.
std::string refusal_log_line(const ClientRefusal& refusal);

}  // namespace etagd::ops
