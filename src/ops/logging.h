// The error log: spdlog's default logger, so every subsystem logs with spdlog::info(...).
// It writes asynchronously (log_output.h) to stderr, stdout or a file (config log.error_log).
//
// Line format depends on where it goes:
//   - a terminal: "2026-11-25 09:41:07.123 [warning] message", the level coloured;
//   - journald (the stream systemd connects to a service, recognised by $JOURNAL_STREAM):
//     "<4>message" -- journald stores the time itself and reads the priority prefix;
//   - a pipe or a file: "2026-11-25T09:41:07.123+00:00 [warning] message", no colour.
#pragma once

#include <string>

#include "base/status.h"
#include "config/config.h"

namespace etagd::ops {

// Makes the default logger write to `log.error_log` at `log.level`. Safe to call again
// (a reload that changes error_log): lines already queued still reach the old destination.
// Fails, naming the file, if it cannot be opened; the previous logger stays.
base::Status configure_error_log(const config::LogConfig& log);

// Changes the error log's level (a reload).
void set_log_level(config::LogLevel level);

// SIGUSR1: reopens every log file by its path -- the error log and every open AccessLog --
// so logrotate can rename them and etagd continues in new files. Failures are logged.
void reopen_logs();

// Blocks (up to timeout_ms) until the error log's queued lines are written: before exit, so
// the last messages are not lost. (AccessLog::flush does the same for an access log.)
bool flush_logs(int timeout_ms = 2000);

// True if `fd` is the stream systemd connected to journald for this service.
bool is_journal_stream(int fd);

}  // namespace etagd::ops
