#include "ops/access_log.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "ops/logging.h"
#include "unit/ops/helpers.h"

namespace etagd::ops {
namespace {

using test::read_file;
using test::ScratchDir;

// 2026-11-25T09:41:07.123Z
constexpr int64_t kTime = 1795599667123;

ExchangeRecord record() {
  ExchangeRecord r;
  r.start_unix_ms = kTime;
  r.client = "127.0.0.1";
  r.method = http::Method::Get;
  r.method_token = "GET";
  r.target = "/api/items/1";
  r.status = 200;
  r.body_bytes = 512;
  r.cache_status = CacheStatus::Hit;
  r.upstream_us = -1;
  r.total_us = 41;
  return r;
}

TEST_CASE("the text format is the documented line") {
  CHECK(AccessLog::format_text(record()) ==
        R"(2026-11-25T09:41:07.123Z 127.0.0.1 "GET /api/items/1" 200 512 HIT - 0.041)");
}

TEST_CASE("the text format shows upstream and total time in milliseconds with three decimals") {
  ExchangeRecord r = record();
  r.cache_status = CacheStatus::Miss;
  r.upstream_us = 12'345'678;
  r.total_us = 12'400'001;
  r.method_token = "";  // falls back to the parsed method's name
  r.method = http::Method::Delete;
  r.client = "::1";
  CHECK(AccessLog::format_text(r) ==
        R"(2026-11-25T09:41:07.123Z ::1 "DELETE /api/items/1" 200 512 MISS 12345.678 12400.001)");
}

TEST_CASE(
    "the text format escapes quotes, backslashes, control and non-ASCII bytes in the target") {
  ExchangeRecord r = record();
  std::string target = "/a\"b\\c\x01\x7f\xc3\xa9 d";
  r.target = target;
  r.client = "";
  CHECK(AccessLog::format_text(r) ==
        R"(2026-11-25T09:41:07.123Z - "GET /a\"b\\c\x01\x7F\xC3\xA9 d" 200 512 HIT - 0.041)");
}

TEST_CASE("a crafted target cannot add fields to a text line") {
  ExchangeRecord r = record();
  std::string target = "/x\" 200 1 HIT - 0.1\n2026-01-01T00:00:00.000Z 6.6.6.6 \"GET /";
  r.target = target;
  std::string line = AccessLog::format_text(r);
  CHECK(line.find('\n') == std::string::npos);
  // The quoted request is the only place a quote appears unescaped: at its two ends.
  size_t unescaped = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"' && (i == 0 || line[i - 1] != '\\')) ++unescaped;
  }
  CHECK(unescaped == 2);
}

TEST_CASE("the JSON format is one object with the documented keys") {
  CHECK(AccessLog::format_json(record()) ==
        R"({"time":"2026-11-25T09:41:07.123Z","client":"127.0.0.1","method":"GET",)"
        R"("target":"/api/items/1","status":200,"bytes":512,"cache":"HIT",)"
        R"("upstream_ms":null,"total_ms":0.041})");
  ExchangeRecord r = record();
  r.upstream_us = 2500;
  CHECK(AccessLog::format_json(r).find(R"("upstream_ms":2.500,)") != std::string::npos);
}

TEST_CASE("the JSON format escapes quotes and control characters and keeps valid UTF-8") {
  ExchangeRecord r = record();
  std::string target = "/q?\"x\"\\\t\n\x01\x1f\x7f caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  r.target = target;
  std::string line = AccessLog::format_json(r);
  CHECK(line.find(R"("target":"/q?\"x\"\\\t\n\u0001\u001f\u007f caf)"
                  "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",") != std::string::npos);
}

TEST_CASE("the JSON format replaces bytes that are not UTF-8 with U+FFFD") {
  ExchangeRecord r = record();
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, and 0xFF.
  std::string target = "/\x80|\xc3|\xc0\xaf|\xed\xa0\x80|\xff";
  r.target = target;
  std::string line = AccessLog::format_json(r);
  CHECK(line.find(R"("target":"/\ufffd|\ufffd|\ufffd\ufffd|\ufffd\ufffd\ufffd|\ufffd",)") !=
        std::string::npos);
}

TEST_CASE("an access log set to off is not opened and is not an error") {
  std::string error;
  CHECK(AccessLog::open("off", config::LogFormat::Text, error) == nullptr);
  CHECK(error.empty());
}

TEST_CASE("an access log file that cannot be opened is an error naming the path") {
  std::string error;
  CHECK(AccessLog::open("/nonexistent-dir/access.log", config::LogFormat::Text, error) == nullptr);
  CHECK(error.find("/nonexistent-dir/access.log") != std::string::npos);
}

TEST_CASE("written lines reach the file in order, one per request") {
  ScratchDir dir;
  std::string error;
  auto log = AccessLog::open(dir.file("access.log"), config::LogFormat::Json, error);
  REQUIRE(log != nullptr);
  for (int i = 0; i < 100; ++i) {
    ExchangeRecord r = record();
    r.status = 200 + i;
    log->write(r);
  }
  REQUIRE(log->flush());
  std::string content = read_file(dir.file("access.log"));
  size_t lines = 0;
  size_t pos = 0;
  for (int i = 0; i < 100; ++i) {
    size_t at = content.find("\"status\":" + std::to_string(200 + i) + ",", pos);
    REQUIRE(at != std::string::npos);
    pos = at;
  }
  for (char c : content) lines += c == '\n' ? 1 : 0;
  CHECK(lines == 100);
}

TEST_CASE("after logrotate renames the file, reopen() continues in a new file at the path") {
  ScratchDir dir;
  std::string error;
  auto log = AccessLog::open(dir.file("access.log"), config::LogFormat::Text, error);
  REQUIRE(log != nullptr);
  ExchangeRecord before = record();
  before.target = "/before";
  log->write(before);
  REQUIRE(log->flush());

  REQUIRE(std::rename(dir.file("access.log").c_str(), dir.file("access.log.1").c_str()) == 0);
  // Queued before the reopen: it lands in the old file or the new one, depending on whether
  // the logging thread wrote it before the reopen, but it is never lost.
  ExchangeRecord during = record();
  during.target = "/during";
  log->write(during);
  log->reopen();
  ExchangeRecord after = record();
  after.target = "/after";
  log->write(after);
  REQUIRE(log->flush());

  std::string rotated = read_file(dir.file("access.log.1"));
  std::string current = read_file(dir.file("access.log"));
  CHECK(rotated.find("/before") != std::string::npos);
  CHECK(rotated.find("/after") == std::string::npos);
  CHECK(current.find("/after") != std::string::npos);
  CHECK(current.find("/before") == std::string::npos);
  CHECK((rotated + current).find("/during") != std::string::npos);
}

TEST_CASE("reopen_logs (SIGUSR1) reopens every open access log") {
  ScratchDir dir;
  std::string error;
  auto a = AccessLog::open(dir.file("a.log"), config::LogFormat::Text, error);
  auto b = AccessLog::open(dir.file("b.log"), config::LogFormat::Json, error);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  REQUIRE(std::rename(dir.file("a.log").c_str(), dir.file("a.log.1").c_str()) == 0);
  REQUIRE(std::rename(dir.file("b.log").c_str(), dir.file("b.log.1").c_str()) == 0);
  reopen_logs();
  a->write(record());
  b->write(record());
  REQUIRE(a->flush());
  REQUIRE(b->flush());
  CHECK(read_file(dir.file("a.log")).find("/api/items/1") != std::string::npos);
  CHECK(read_file(dir.file("b.log")).find("\"target\":\"/api/items/1\"") != std::string::npos);
  CHECK(read_file(dir.file("a.log.1")).empty());
}

TEST_CASE("a reopen that cannot create the file keeps writing to the old one") {
  ScratchDir dir;
  std::string error;
  std::filesystem::create_directory(dir.file("logs"));
  auto log = AccessLog::open(dir.file("logs/access.log"), config::LogFormat::Text, error);
  REQUIRE(log != nullptr);
  REQUIRE(std::rename(dir.file("logs").c_str(), dir.file("moved").c_str()) == 0);
  log->reopen();  // logs/ is gone: the open fails and is logged
  log->write(record());
  REQUIRE(log->flush());
  CHECK(read_file(dir.file("moved/access.log")).find("/api/items/1") != std::string::npos);
}

}  // namespace
}  // namespace etagd::ops
