#include "ops/log_output.h"

#include <fcntl.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace etagd::ops {
namespace {

// Lines queued before the oldest is dropped. spdlog builds every slot up front (a ~400-byte
// message with its inline buffer) and touches it, so the queue is resident from the first
// second whatever the traffic: 16,384 slots were 6.4 MiB, a fifth of the RSS the cache's
// bound allows beyond max_memory (bench/README.md, "Memory: memory_shift"). 4,096 slots
// (1.6 MiB) absorb ~40 ms of a stalled disk at 100k requests/s, 400 ms at 10k.
constexpr size_t kQueueLines = 4 * 1024;

int open_append(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

// write(2) the whole buffer; a log line is lost rather than retried forever on a hard error
// (a full disk must not wedge the logging thread).
void write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
}

// sd-daemon(3) priorities (SD_ERR "<3>"...), indexed by spdlog level.
char syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return '7';
    case spdlog::level::info: return '6';
    case spdlog::level::warn: return '4';
    case spdlog::level::err: return '3';
    case spdlog::level::critical: return '2';
    default: return '6';
  }
}

std::string_view ansi_color(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "\033[37m";
    case spdlog::level::debug: return "\033[36m";
    case spdlog::level::info: return "\033[32m";
    case spdlog::level::warn: return "\033[33m\033[1m";
    case spdlog::level::err: return "\033[31m\033[1m";
    case spdlog::level::critical: return "\033[1m\033[41m";
    default: return "";
  }
}

// Live file sinks, for reopen_log_files(). Weak: a sink dies with its last logger.
struct FileSinkRegistry {
  std::mutex mu;
  std::vector<std::weak_ptr<LogOutputSink>> sinks;
};

FileSinkRegistry& file_sinks() {
  static FileSinkRegistry registry;
  return registry;
}

}  // namespace

LogOutputSink::LogOutputSink(std::string destination, std::string path, int fd, bool owns_fd)
    : destination_(std::move(destination)), path_(std::move(path)), fd_(fd), owns_fd_(owns_fd) {
  // The logger hands over the finished line; the pattern belongs to whoever made the sink.
  set_pattern("%v");
}

LogOutputSink::~LogOutputSink() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

base::Status LogOutputSink::open(const std::string& destination,
                                 std::shared_ptr<LogOutputSink>& out) {
  out.reset();
  std::shared_ptr<LogOutputSink> sink;
  if (destination == "stdout") {
    sink.reset(new LogOutputSink(destination, "", STDOUT_FILENO, false));
  } else if (destination == "stderr") {
    sink.reset(new LogOutputSink(destination, "", STDERR_FILENO, false));
  } else {
    int fd = open_append(destination);
    if (fd < 0) {
      return base::Status::error("cannot open log file " + destination + ": " +
                                 std::strerror(errno));
    }
    sink.reset(new LogOutputSink(destination, destination, fd, true));
    FileSinkRegistry& registry = file_sinks();
    std::lock_guard lock(registry.mu);
    std::erase_if(registry.sinks, [](const auto& w) { return w.expired(); });
    registry.sinks.push_back(sink);
  }
  out = std::move(sink);
  return base::Status::ok();
}

void LogOutputSink::set_priority_prefix(bool on) {
  std::lock_guard lock(mutex_);
  priority_prefix_ = on;
}

void LogOutputSink::set_color(bool on) {
  std::lock_guard lock(mutex_);
  color_ = on;
}

base::Status LogOutputSink::reopen() {
  if (path_.empty()) return base::Status::ok();
  int fd = open_append(path_);
  if (fd < 0) {
    return base::Status::error("cannot reopen log file " + path_ + ": " + std::strerror(errno));
  }
  std::lock_guard lock(mutex_);
  ::close(fd_);
  fd_ = fd;
  return base::Status::ok();
}

void LogOutputSink::sink_it_(const spdlog::details::log_msg& msg) {
  line_.clear();
  if (priority_prefix_) {
    line_.push_back('<');
    line_.push_back(syslog_priority(msg.level));
    line_.push_back('>');
  }
  formatter_->format(msg, line_);
  if (color_ && msg.color_range_end > msg.color_range_start) {
    std::string_view line(line_.data(), line_.size());
    std::string colored;
    colored.reserve(line.size() + 16);
    colored.append(line.substr(0, msg.color_range_start));
    colored.append(ansi_color(msg.level));
    colored.append(line.substr(msg.color_range_start, msg.color_range_end - msg.color_range_start));
    colored.append("\033[0m");
    colored.append(line.substr(msg.color_range_end));
    write_all(fd_, colored.data(), colored.size());
    return;
  }
  write_all(fd_, line_.data(), line_.size());
}

void LogOutputSink::flush_() {
  // Lines are written unbuffered, one write(2) each (like nginx without `buffer=`): nothing
  // to flush, but waiters learn that every line queued before the flush request is out.
  {
    std::lock_guard lock(flush_mu_);
    ++flushes_;
  }
  flushed_.notify_all();
}

uint64_t LogOutputSink::flushes() {
  std::lock_guard lock(flush_mu_);
  return flushes_;
}

bool LogOutputSink::wait_flushed_after(uint64_t seen, int timeout_ms) {
  std::unique_lock lock(flush_mu_);
  return flushed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return flushes_ > seen; });
}

std::shared_ptr<spdlog::details::thread_pool> log_thread_pool() {
  auto& registry = spdlog::details::registry::instance();
  std::lock_guard lock(registry.tp_mutex());
  std::shared_ptr<spdlog::details::thread_pool> pool = registry.get_tp();
  if (!pool) {
    pool = std::make_shared<spdlog::details::thread_pool>(kQueueLines, 1U);
    registry.set_tp(pool);
  }
  return pool;
}

std::shared_ptr<spdlog::async_logger> make_async_logger(std::string name, spdlog::sink_ptr sink) {
  return std::make_shared<spdlog::async_logger>(std::move(name), std::move(sink), log_thread_pool(),
                                                spdlog::async_overflow_policy::overrun_oldest);
}

bool flush_and_wait(spdlog::async_logger& logger, LogOutputSink& sink, int timeout_ms) {
  uint64_t seen = sink.flushes();
  logger.flush();
  return sink.wait_flushed_after(seen, timeout_ms);
}

std::vector<std::string> reopen_log_files() {
  std::vector<std::shared_ptr<LogOutputSink>> alive;
  {
    FileSinkRegistry& registry = file_sinks();
    std::lock_guard lock(registry.mu);
    std::erase_if(registry.sinks, [](const auto& w) { return w.expired(); });
    for (const auto& w : registry.sinks) {
      if (auto s = w.lock()) alive.push_back(std::move(s));
    }
  }
  std::vector<std::string> errors;
  for (const auto& sink : alive) {
    if (base::Status s = sink->reopen(); !s) errors.push_back(s.message());
  }
  return errors;
}

uint64_t log_messages_dropped() {
  auto& registry = spdlog::details::registry::instance();
  std::lock_guard lock(registry.tp_mutex());
  std::shared_ptr<spdlog::details::thread_pool> pool = registry.get_tp();
  return pool ? pool->overrun_counter() : 0;
}

}  // namespace etagd::ops
