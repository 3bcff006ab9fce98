// Where log lines go: a file that SIGUSR1 can reopen, or stdout/stderr. Both the error log
// and the access log write through LogOutputSink, behind spdlog async loggers that share one
// background thread, so a worker only formats a line and queues it; the disk (or journald's
// pipe) is written by that thread alone.
//
// When the queue is full the oldest queued line is dropped rather than blocking a worker
// (spdlog's overrun_oldest); log_messages_dropped() counts those losses for /metrics.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"

namespace spdlog {
class async_logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace etagd::ops {

class LogOutputSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // `destination`: "stdout", "stderr" or a file path (created 0640, appended to).
  // Fails, with `out` left null, when the file cannot be opened.
  static base::Status open(const std::string& destination, std::shared_ptr<LogOutputSink>& out);
  ~LogOutputSink() override;

  // Prefix each line with its syslog priority ("<3>" for errors, sd-daemon(3)), which
  // journald reads from a service's stdout/stderr stream and strips.
  void set_priority_prefix(bool on);
  // Colour the part of the line the pattern marks with %^...%$ (the level), for a terminal.
  void set_color(bool on);

  // Opens the file again by its path (after logrotate renamed it). The old file stays in use
  // if the path cannot be opened. A no-op for stdout/stderr.
  base::Status reopen();

  const std::string& destination() const { return destination_; }

  // How many times the sink was flushed: spdlog's async flush only queues a request, so a
  // caller that must know the lines before it are written waits for this to move.
  uint64_t flushes();
  // Waits until flushes() exceeds `seen`, for at most `timeout_ms`. Returns false on timeout.
  bool wait_flushed_after(uint64_t seen, int timeout_ms);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  LogOutputSink(std::string destination, std::string path, int fd, bool owns_fd);

  std::string destination_;
  std::string path_;  // empty for stdout/stderr
  int fd_;
  bool owns_fd_;
  bool priority_prefix_ = false;
  bool color_ = false;
  spdlog::memory_buf_t line_;  // reused, guarded by base_sink's mutex

  std::mutex flush_mu_;
  std::condition_variable flushed_;
  uint64_t flushes_ = 0;
};

// The background thread (and queue) every etagd logger shares. Created on first use and
// owned by spdlog's registry, so spdlog::shutdown() writes out what is queued and joins it.
std::shared_ptr<spdlog::details::thread_pool> log_thread_pool();

// An async logger writing to `sink` through log_thread_pool(), dropping the oldest queued
// line when the queue is full. Not registered in spdlog's registry.
std::shared_ptr<spdlog::async_logger> make_async_logger(std::string name, spdlog::sink_ptr sink);

// Queues a flush on `logger` and waits (bounded) until the lines before it are written.
bool flush_and_wait(spdlog::async_logger& logger, LogOutputSink& sink, int timeout_ms = 2000);

// Reopens every file sink still alive (SIGUSR1). Returns one message per file that failed.
std::vector<std::string> reopen_log_files();

// Lines dropped by a full queue since the start.
uint64_t log_messages_dropped();

}  // namespace etagd::ops
