// The access log: one line per answered request, text or JSON (config log.access_format),
// queued to spdlog's background thread so a worker never waits on disk I/O (log_output.h).
//
// Text format, fields separated by one space, `-` for an absent value:
//   <time> <client> "<method> <target>" <status> <bytes> <cache> <upstream ms> <total ms>
//   2026-11-25T09:41:07.123Z 127.0.0.1 "GET /api/items/1" 200 512 HIT - 0.041
// bytes is the response body sent; cache is the cache status (HIT, MISS, STALE, REVALIDATED,
// BYPASS, or NONE for an answer given before caching applied, such as a 400).
// time is the request's arrival in UTC with milliseconds; times are milliseconds with three
// decimals; upstream ms is `-` when the upstream was not asked. Inside the quotes, `"`, `\`,
// control bytes and bytes >= 0x80 are written as \" \\ \xHH, so a line always splits the same
// way (a client cannot forge fields with a crafted target).
//
// JSON format: one object per line,
//   {"time":"2026-11-25T09:41:07.123Z","client":"127.0.0.1","method":"GET",
//    "target":"/api/items/1","status":200,"bytes":512,"cache":"HIT","upstream_ms":null,
//    "total_ms":0.041}
// Strings are escaped per RFC 8259 §7; a byte sequence that is not UTF-8 becomes U+FFFD.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "ops/exchange_record.h"

namespace etagd::ops {

class AccessLog {
 public:
  // `destination`: "off", "stdout", "stderr" or a file path (appended to). Returns null for
  // "off" (error stays empty) and when the file cannot be opened (error set).
  // A file is reopened by reopen() or by reopen_logs() (logging.h) on SIGUSR1.
  static std::unique_ptr<AccessLog> open(const std::string& destination, config::LogFormat format,
                                         std::string& error);
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

 private:
  struct Impl;
  explicit AccessLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace etagd::ops
