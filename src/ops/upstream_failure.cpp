#include "ops/upstream_failure.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>

#include "ops/log_escape.h"
#include "ops/log_rate_limit.h"
#include "ops/metrics.h"

namespace etagd::ops {
namespace {

void put(fmt::memory_buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }

constexpr size_t kMaxLoggedTarget = 256;

// One bucket per kind.
std::array<LogRateLimit, kUpstreamErrorCount> g_failure_logs;

}  // namespace

std::string upstream_failure_log_line(const UpstreamFailure& f) {
  fmt::memory_buffer out;
  put(out, "upstream ");
  if (!f.host.empty()) {
    // An IPv6 literal is bracketed, as in a URL authority.
    bool v6 = f.host.find(':') != std::string_view::npos;
    fmt::format_to(std::back_inserter(out), "{}{}{}:{}", v6 ? "[" : "", f.host, v6 ? "]" : "",
                   f.port);
  } else {
    out.push_back('-');
  }
  put(out, ": ");
  put(out, upstream_error_text(f.kind));
  if (!f.detail.empty()) {
    put(out, ": ");
    append_text_escaped(out, f.detail, kMaxLoggedTarget);
  }
  out.append(std::string_view("; request \""));
  append_text_escaped(out, f.method, kMaxLoggedTarget);
  out.push_back(' ');
  append_text_escaped(out, f.target, kMaxLoggedTarget);
  out.push_back('"');
  if (f.client.empty()) {
    put(out, " (background refresh)");
  } else {
    put(out, " from ");
    append_text_escaped(out, f.client);
  }
  if (f.response_started) {
    fmt::format_to(std::back_inserter(out), "; response cut after {} body bytes",
                   f.body_bytes_sent);
  }
  return fmt::to_string(out);
}

void report_upstream_failure(const UpstreamFailure& f) {
  uint64_t suppressed = 0;
  if (!g_failure_logs[static_cast<size_t>(f.kind)].admit(log_clock_us(), suppressed)) return;
  if (suppressed > 0) {
    spdlog::warn("{} similar messages suppressed (upstream {})", suppressed,
                 upstream_error_kind(f.kind));
  }
  spdlog::warn("{}", upstream_failure_log_line(f));
}

}  // namespace etagd::ops
