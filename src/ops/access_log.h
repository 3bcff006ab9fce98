// The access log: one line per answered request, text, JSON or nginx's combined format
// (config log.access_format), queued to spdlog's background thread so a worker never waits on
// disk I/O (log_output.h). Requests refused before they were answered normally (400, 408,
// 413, 431...) have a line too; when their request line could not be read, it shows as `-`.
//
// Text format, fields separated by one space, `-` for an absent value:
//   <time> <client> "<method> <target> <protocol>" <status> <bytes> <cache> <upstream ms>
//   <total ms> "<host>" "<referer>" "<user agent>"
//   2026-11-25T09:41:07.123Z 127.0.0.1 "GET /api/items/1 HTTP/1.1" 200 512 HIT - 0.041
//   "api.example.com" "-" "curl/7.88.1"
// (one line). bytes is the response body sent; cache is the cache status (HIT, HIT-COALESCED,
// MISS, STALE, REVALIDATED, BYPASS, or NONE for an answer given before caching applied, such
// as a 400). time is the request's arrival in UTC with milliseconds; times are milliseconds
// with three decimals; upstream ms is `-` when the upstream was not asked, total ms `-` for a
// refusal. Inside the quotes, `"`, `\`, control bytes and bytes >= 0x80 are written as
// \" and \\ and \xHH, so a line always splits the same way (a client cannot forge fields
// with a crafted target or User-Agent).
//
// JSON format: one object per line,
//   {"time":"2026-11-25T09:41:07.123Z","client":"127.0.0.1","method":"GET",
//    "target":"/api/items/1","protocol":"HTTP/1.1","status":200,"bytes":512,"cache":"HIT",
//    "upstream_ms":null,"total_ms":0.041,"host":"api.example.com","referer":null,
//    "user_agent":"curl/7.88.1"}
// Strings are escaped per RFC 8259 §7; a byte sequence that is not UTF-8 becomes U+FFFD.
// Absent values (a field the request did not send, the request line of a refusal) are null.
//
// Combined format: exactly nginx's `combined` log_format,
//   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
//   "$http_referer" "$http_user_agent"
// followed by one space and the cache status, so that goaccess (--log-format=COMBINED), grok's
// COMBINEDAPACHELOG and fail2ban read it as they read nginx's:
//   127.0.0.1 - - [25/Nov/2026:09:41:07 +0000] "GET /api/items/1 HTTP/1.1" 200 512 "-"
//   "curl/7.88.1" HIT
// $time_local is local time with its UTC offset, as nginx writes it; escaping is nginx's
// default (`"`, `\` and bytes outside printable ASCII become \xHH).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "config/config.h"
#include "ops/exchange_record.h"

namespace etagd::ops {

class AccessLog {
 public:
  // `destination`: "off", "stdout", "stderr" or a file path (appended to). Sets `out` to
  // null for "off"; fails, with `out` null, when the file cannot be opened.
  // A file is reopened by reopen() or by reopen_logs() (logging.h) on SIGUSR1.
  static base::Status open(const std::string& destination, config::LogFormat format,
                           std::unique_ptr<AccessLog>& out);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Thread-safe; formats the line on the calling thread and queues it.
  void write(const ExchangeRecord& r);
  // Opens the file again by its path (logrotate renamed it). If it cannot be opened, the old
  // file stays in use and the error log says why. A no-op for stdout/stderr.
  void reopen();
  // Blocks (up to 2 s) until every line written before the call is on its destination:
  // for shutdown and tests.
  bool flush();

  config::LogFormat format() const;
  const std::string& destination() const;

  // The line for `r` without the trailing newline.
  static std::string format_text(const ExchangeRecord& r);
  static std::string format_json(const ExchangeRecord& r);
  static std::string format_combined(const ExchangeRecord& r);

 private:
  struct Impl;
  explicit AccessLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace etagd::ops
