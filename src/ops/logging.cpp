#include "ops/logging.h"

#include <spdlog/async_logger.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "ops/log_output.h"

namespace etagd::ops {
namespace {

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::Trace: return spdlog::level::trace;
    case config::LogLevel::Debug: return spdlog::level::debug;
    case config::LogLevel::Info: return spdlog::level::info;
    case config::LogLevel::Warn: return spdlog::level::warn;
    case config::LogLevel::Error: return spdlog::level::err;
    case config::LogLevel::Critical: return spdlog::level::critical;
    case config::LogLevel::Off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

// The error log's current logger and sink, for flush_logs().
struct ErrorLog {
  std::mutex mu;
  std::shared_ptr<spdlog::async_logger> logger;
  std::shared_ptr<LogOutputSink> sink;
};

ErrorLog& error_log() {
  static ErrorLog log;
  return log;
}

}  // namespace

bool is_journal_stream(int fd) {
  // systemd.exec(5): JOURNAL_STREAM is "<device>:<inode>" of the stream connected to journald;
  // comparing it with fd's identity tells a journald stream from a redirected one.
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

base::Status configure_error_log(const config::LogConfig& log) {
  std::shared_ptr<LogOutputSink> sink;
  if (base::Status s = LogOutputSink::open(log.error_log, sink); !s) return s;

  int fd = log.error_log == "stdout"   ? STDOUT_FILENO
           : log.error_log == "stderr" ? STDERR_FILENO
                                       : -1;
  if (fd >= 0 && is_journal_stream(fd)) {
    sink->set_priority_prefix(true);
    sink->set_pattern("%v");
  } else if (fd >= 0 && isatty(fd) != 0) {
    sink->set_color(true);
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e [%^%l%$] %v");
  } else {
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%l] %v");
  }

  std::shared_ptr<spdlog::async_logger> logger = make_async_logger("etagd", sink);
  logger->set_level(to_spdlog(log.level));
  // The patterns above are the sink's; a logger-level pattern would overwrite them.
  spdlog::set_default_logger(logger);

  ErrorLog& current = error_log();
  std::lock_guard lock(current.mu);
  current.logger = std::move(logger);
  current.sink = std::move(sink);
  return base::Status::ok();
}

void set_log_level(config::LogLevel level) {
  spdlog::default_logger()->set_level(to_spdlog(level));
}

void reopen_logs() {
  for (const std::string& error : reopen_log_files()) spdlog::error("{}", error);
  spdlog::info("log files reopened");
}

bool flush_logs(int timeout_ms) {
  std::shared_ptr<spdlog::async_logger> logger;
  std::shared_ptr<LogOutputSink> sink;
  {
    ErrorLog& current = error_log();
    std::lock_guard lock(current.mu);
    logger = current.logger;
    sink = current.sink;
  }
  if (!logger) return true;
  return flush_and_wait(*logger, *sink, timeout_ms);
}

}  // namespace etagd::ops
