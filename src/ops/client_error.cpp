#include "ops/client_error.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "ops/access_log.h"
#include "ops/log_escape.h"
#include "ops/log_rate_limit.h"
#include "ops/metrics.h"

namespace etagd::ops {
namespace {

// The longest method or target the error log repeats: enough to recognise the request, not
// enough for a 16 KiB target to be written again for every refusal.
constexpr size_t kMaxLoggedRequestLine = 256;

// One bucket per reason: a flood of 400s does not hide a 413 or a run of 408s.
std::array<LogRateLimit, kClientErrorReasons.size()> g_refusal_logs;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ClientErrorReason client_error_reason(int status) {
  switch (status) {
    case 400: return ClientErrorReason::BadRequest;
    case 408: return ClientErrorReason::Timeout;
    case 413: return ClientErrorReason::BodyTooLarge;
    case 414: return ClientErrorReason::UriTooLong;
    case 417: return ClientErrorReason::ExpectationFailed;
    case 431: return ClientErrorReason::HeaderTooLarge;
    case 501: return ClientErrorReason::NotImplemented;
    case 505: return ClientErrorReason::VersionNotSupported;
    default: return ClientErrorReason::Other;
  }
}

std::string refusal_log_line(const ClientRefusal& refusal) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "refused {} to ", refusal.status);
  append_text_escaped(out, refusal.client.empty() ? std::string_view("-") : refusal.client);
  out.push_back(':');
  out.push_back(' ');
  append_text_escaped(out, refusal.reason);
  const http::RequestHead* r = refusal.request;
  if (r != nullptr && !r->raw_target.empty()) {
    fmt::format_to(std::back_inserter(out), "; request \"");
    append_text_escaped(out, r->method_token, kMaxLoggedRequestLine);
    out.push_back(' ');
    append_text_escaped(out, r->raw_target, kMaxLoggedRequestLine);
    if (!refusal.protocol.empty()) {
      fmt::format_to(std::back_inserter(out), " {}\"", refusal.protocol);
    } else {
      fmt::format_to(std::back_inserter(out), " HTTP/1.{}\"", r->version_minor);
    }
  }
  return fmt::to_string(out);
}

void report_refusal(WorkerMetrics& metrics, AccessLog* access_log, const ClientRefusal& refusal) {
  ClientErrorReason reason = client_error_reason(refusal.status);
  metrics.record_client_error(reason);

  ExchangeRecord record;
  record.start_unix_ms = wall_ms();
  record.client = refusal.client;
  record.method = http::Method::Other;
  if (const http::RequestHead* r = refusal.request; r != nullptr && !r->raw_target.empty()) {
    record.method = r->method;
    record.method_token = r->method_token;
    record.target = r->raw_target;
    record.protocol = !refusal.protocol.empty() ? refusal.protocol
                      : r->version_minor == 0  ? "HTTP/1.0"
                                               : "HTTP/1.1";
    record.host = r->host;
    record.referer = r->headers.get("referer");
    record.user_agent = r->headers.get("user-agent");
  }
  record.status = refusal.status;
  record.body_bytes = refusal.body_bytes;
  record.cache_status = CacheStatus::None;
  record.total_us = -1;
  metrics.record_exchange(record);
  if (access_log != nullptr) access_log->write(record);

  uint64_t suppressed = 0;
  if (!g_refusal_logs[static_cast<size_t>(reason)].admit(log_clock_us(), suppressed)) return;
  if (suppressed > 0) {
    spdlog::info("{} similar messages suppressed (refused {})", suppressed,
                 kClientErrorReasons[static_cast<size_t>(reason)]);
  }
  spdlog::info("{}", refusal_log_line(refusal));
}

}  // namespace etagd::ops
