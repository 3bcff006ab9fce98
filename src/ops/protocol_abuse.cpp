#include "ops/protocol_abuse.h"

#include <spdlog/spdlog.h>

#include "ops/log_rate_limit.h"

namespace etagd::ops {

namespace {

std::array<LogRateLimit, kProtocolAbuseNames.size()> g_abuse_logs;

}  // namespace

std::string protocol_abuse_log_line(ProtocolAbuse kind, std::string_view peer,
                                    std::string_view answer) {
  std::string line = "closing HTTP/2 connection from ";
  line += peer;
  line += ": ";
  line += kProtocolAbuseNames[static_cast<size_t>(kind)];
  line += "; ";
  line += answer;
  return line;
}

void report_protocol_abuse(ProtocolAbuse kind, std::string_view peer, std::string_view answer) {
  uint64_t suppressed = 0;
  if (!g_abuse_logs[static_cast<size_t>(kind)].admit(log_clock_us(), suppressed)) return;
  if (suppressed > 0) {
    spdlog::warn("{} similar messages suppressed (HTTP/2 {})", suppressed,
                 kProtocolAbuseNames[static_cast<size_t>(kind)]);
  }
  spdlog::warn("{}", protocol_abuse_log_line(kind, peer, answer));
}

}  // namespace etagd::ops
