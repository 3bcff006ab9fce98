#include "ops/logging.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spdlog/async_logger.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "ops/log_output.h"
#include "unit/ops/helpers.h"

namespace etagd::ops {
namespace {

using test::read_file;
using test::ScratchDir;

config::LogConfig file_log(const std::string& path, config::LogLevel level) {
  config::LogConfig c;
  c.error_log = path;
  c.level = level;
  return c;
}

TEST_CASE("the error log writes timestamped lines with their level to a file") {
  ScratchDir dir;
  REQUIRE(configure_error_log(file_log(dir.file("error.log"), config::LogLevel::Info)).is_ok());
  spdlog::info("upstream {} resolved", "127.0.0.1:8080");
  spdlog::warn("something odd");
  REQUIRE(flush_logs());
  std::string content = read_file(dir.file("error.log"));
  CHECK(content.find("[info] upstream 127.0.0.1:8080 resolved\n") != std::string::npos);
  CHECK(content.find("[warning] something odd\n") != std::string::npos);
  // ISO-8601 date first, e.g. 2026-11-25T09:41:07.123+00:00
  REQUIRE(content.size() > 10);
  CHECK(content[4] == '-');
  CHECK(content[10] == 'T');
}

TEST_CASE("the configured level filters the error log, and set_log_level changes it") {
  ScratchDir dir;
  REQUIRE(configure_error_log(file_log(dir.file("error.log"), config::LogLevel::Warn)).is_ok());
  spdlog::info("hidden info");
  spdlog::error("shown error");
  set_log_level(config::LogLevel::Debug);
  spdlog::debug("shown debug");
  REQUIRE(flush_logs());
  std::string content = read_file(dir.file("error.log"));
  CHECK(content.find("hidden info") == std::string::npos);
  CHECK(content.find("shown error") != std::string::npos);
  CHECK(content.find("shown debug") != std::string::npos);
}

TEST_CASE("an error log file that cannot be opened is refused and the old logger stays") {
  ScratchDir dir;
  REQUIRE(configure_error_log(file_log(dir.file("error.log"), config::LogLevel::Info)).is_ok());
  base::Status s = configure_error_log(file_log("/nonexistent-dir/e.log", config::LogLevel::Info));
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("/nonexistent-dir/e.log") != std::string::npos);
  spdlog::info("still here");
  REQUIRE(flush_logs());
  CHECK(read_file(dir.file("error.log")).find("still here") != std::string::npos);
}

TEST_CASE("SIGUSR1's reopen_logs moves the error log to a new file after a rename") {
  ScratchDir dir;
  REQUIRE(configure_error_log(file_log(dir.file("error.log"), config::LogLevel::Info)).is_ok());
  spdlog::info("line one");
  REQUIRE(flush_logs());
  REQUIRE(std::rename(dir.file("error.log").c_str(), dir.file("error.log.1").c_str()) == 0);
  reopen_logs();
  spdlog::info("line two");
  REQUIRE(flush_logs());
  CHECK(read_file(dir.file("error.log.1")).find("line one") != std::string::npos);
  CHECK(read_file(dir.file("error.log.1")).find("line two") == std::string::npos);
  CHECK(read_file(dir.file("error.log")).find("line two") != std::string::npos);
}

TEST_CASE("JOURNAL_STREAM identifies the journald stream by device and inode") {
  ScratchDir dir;
  int fd = ::open(dir.file("stream").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  struct stat st {};
  REQUIRE(fstat(fd, &st) == 0);
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);

  unsetenv("JOURNAL_STREAM");
  CHECK_FALSE(is_journal_stream(fd));
  setenv("JOURNAL_STREAM", mine.c_str(), 1);
  CHECK(is_journal_stream(fd));
  setenv("JOURNAL_STREAM", other.c_str(), 1);
  CHECK_FALSE(is_journal_stream(fd));
  setenv("JOURNAL_STREAM", "garbage", 1);
  CHECK_FALSE(is_journal_stream(fd));
  unsetenv("JOURNAL_STREAM");
  ::close(fd);
}

TEST_CASE("lines for journald carry the syslog priority prefix of their level") {
  ScratchDir dir;
  std::shared_ptr<LogOutputSink> sink;
  REQUIRE(LogOutputSink::open(dir.file("journal"), sink).is_ok());
  sink->set_priority_prefix(true);
  auto logger = make_async_logger("journal-test", sink);
  logger->set_level(spdlog::level::trace);
  logger->set_pattern("%v");
  logger->error("e");
  logger->warn("w");
  logger->info("i");
  logger->debug("d");
  logger->critical("c");
  REQUIRE(flush_and_wait(*logger, *sink));
  CHECK(read_file(dir.file("journal")) == "<3>e\n<4>w\n<6>i\n<7>d\n<2>c\n");
}

TEST_CASE("a full log queue drops lines instead of blocking the writer, and counts them") {
  ScratchDir dir;
  std::shared_ptr<LogOutputSink> sink;
  REQUIRE(LogOutputSink::open(dir.file("burst.log"), sink).is_ok());
  auto logger = make_async_logger("burst-test", sink);
  uint64_t dropped_before = log_messages_dropped();
  // Far more lines than the queue holds, as fast as possible: the writer must return at once
  // each time (overrun_oldest), whatever the background thread manages to write.
  constexpr int kLines = 200'000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kLines; ++i) logger->info("line {}", i);
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(flush_and_wait(*logger, *sink, 10'000));
  std::string content = read_file(dir.file("burst.log"));
  uint64_t written = 0;
  for (char c : content) written += c == '\n' ? 1 : 0;
  uint64_t dropped = log_messages_dropped() - dropped_before;
  CHECK(written + dropped == kLines);
  CHECK(content.find("line " + std::to_string(kLines - 1) + "\n") != std::string::npos);
  MESSAGE("written " << written << ", dropped " << dropped << " in "
                     << std::chrono::duration<double>(elapsed).count() << " s");
}

}  // namespace
}  // namespace etagd::ops
