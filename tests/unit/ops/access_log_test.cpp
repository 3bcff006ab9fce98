#include "ops/access_log.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <ctime>
#include <optional>
#include <regex>
#include <string>

#include "ops/logging.h"
#include "unit/ops/helpers.h"

namespace etagd::ops {
namespace {

using test::open_access_log;
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
  r.protocol = "HTTP/1.1";
  r.host = "api.example.com";
  r.user_agent = "curl/7.88.1";
  r.status = 200;
  r.body_bytes = 512;
  r.cache_status = CacheStatus::Hit;
  r.upstream_us = -1;
  r.total_us = 41;
  return r;
}

TEST_CASE("the text format is the documented line, with protocol, Host, Referer and User-Agent") {
  CHECK(AccessLog::format_text(record()) ==
        R"(2026-11-25T09:41:07.123Z 127.0.0.1 "GET /api/items/1 HTTP/1.1" 200 512 HIT - 0.041 )"
        R"("api.example.com" "-" "curl/7.88.1")");
  ExchangeRecord r = record();
  r.protocol = "HTTP/1.0";
  r.referer = "https://example.com/page";
  r.host = "";
  r.user_agent = "";
  CHECK(AccessLog::format_text(r) ==
        R"(2026-11-25T09:41:07.123Z 127.0.0.1 "GET /api/items/1 HTTP/1.0" 200 512 HIT - 0.041 )"
        R"("-" "https://example.com/page" "-")");
}

TEST_CASE("a refusal without a request line shows - for the request and the total time") {
  ExchangeRecord r;
  r.start_unix_ms = kTime;
  r.client = "10.0.0.9";
  r.status = 400;
  r.body_bytes = 30;
  r.total_us = -1;
  CHECK(AccessLog::format_text(r) ==
        R"(2026-11-25T09:41:07.123Z 10.0.0.9 "-" 400 30 NONE - - "-" "-" "-")");
  CHECK(AccessLog::format_json(r) ==
        R"({"time":"2026-11-25T09:41:07.123Z","client":"10.0.0.9","method":null,"target":null,)"
        R"("protocol":null,"status":400,"bytes":30,"cache":"NONE","upstream_ms":null,)"
        R"("total_ms":null,"host":null,"referer":null,"user_agent":null})");
}

TEST_CASE("the coalesced cache status is written as HIT-COALESCED") {
  ExchangeRecord r = record();
  r.cache_status = CacheStatus::HitCoalesced;
  CHECK(AccessLog::format_text(r).find(" 200 512 HIT-COALESCED - ") != std::string::npos);
  CHECK(AccessLog::format_json(r).find(R"("cache":"HIT-COALESCED")") != std::string::npos);
}

TEST_CASE("the text format shows upstream and total time in milliseconds with three decimals") {
  ExchangeRecord r = record();
  r.cache_status = CacheStatus::Miss;
  r.upstream_us = 12'345'678;
  r.total_us = 12'400'001;
  r.method_token = "";  // falls back to the parsed method's name
  r.method = http::Method::Delete;
  r.client = "::1";
  CHECK(AccessLog::format_text(r).starts_with(
      R"(2026-11-25T09:41:07.123Z ::1 "DELETE /api/items/1 HTTP/1.1" 200 512 MISS 12345.678 )"
      R"(12400.001 ")"));
}

TEST_CASE(
    "the text format escapes quotes, backslashes, control and non-ASCII bytes in the target") {
  ExchangeRecord r = record();
  std::string target = "/a\"b\\c\x01\x7f\xc3\xa9 d";
  r.target = target;
  r.client = "";
  CHECK(AccessLog::format_text(r).starts_with(
      R"(2026-11-25T09:41:07.123Z - "GET /a\"b\\c\x01\x7F\xC3\xA9 d HTTP/1.1" 200 512 HIT - 0.041 )"));
  std::string agent = "evil\" 200 \x01";
  r.user_agent = agent;
  CHECK(AccessLog::format_text(r).ends_with(R"("api.example.com" "-" "evil\" 200 \x01")"));
}

TEST_CASE("a crafted target or User-Agent cannot add fields to a text line") {
  ExchangeRecord r = record();
  std::string target = "/x\" 200 1 HIT - 0.1\n2026-01-01T00:00:00.000Z 6.6.6.6 \"GET /";
  r.target = target;
  r.user_agent = target;
  std::string line = AccessLog::format_text(r);
  CHECK(line.find('\n') == std::string::npos);
  // Quotes appear unescaped only at the two ends of the request, Host, Referer and agent.
  size_t unescaped = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"' && (i == 0 || line[i - 1] != '\\')) ++unescaped;
  }
  CHECK(unescaped == 8);
}

TEST_CASE("the JSON format is one object with the documented keys") {
  CHECK(AccessLog::format_json(record()) ==
        R"({"time":"2026-11-25T09:41:07.123Z","client":"127.0.0.1","method":"GET",)"
        R"("target":"/api/items/1","protocol":"HTTP/1.1","status":200,"bytes":512,"cache":"HIT",)"
        R"("upstream_ms":null,"total_ms":0.041,"host":"api.example.com","referer":null,)"
        R"("user_agent":"curl/7.88.1"})");
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
  std::unique_ptr<AccessLog> log;
  CHECK(AccessLog::open("off", config::LogFormat::Text, log).is_ok());
  CHECK(log == nullptr);
}

TEST_CASE("an access log file that cannot be opened is an error naming the path") {
  std::unique_ptr<AccessLog> log;
  base::Status s = AccessLog::open("/nonexistent-dir/access.log", config::LogFormat::Text, log);
  CHECK_FALSE(s.is_ok());
  CHECK(log == nullptr);
  CHECK(s.message().find("/nonexistent-dir/access.log") != std::string::npos);
}

TEST_CASE("written lines reach the file in order, one per request") {
  ScratchDir dir;
  auto log = open_access_log(dir.file("access.log"), config::LogFormat::Json);
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
  auto log = open_access_log(dir.file("access.log"), config::LogFormat::Text);
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
  auto a = open_access_log(dir.file("a.log"), config::LogFormat::Text);
  auto b = open_access_log(dir.file("b.log"), config::LogFormat::Json);
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
  std::filesystem::create_directory(dir.file("logs"));
  auto log = open_access_log(dir.file("logs/access.log"), config::LogFormat::Text);
  REQUIRE(log != nullptr);
  REQUIRE(std::rename(dir.file("logs").c_str(), dir.file("moved").c_str()) == 0);
  log->reopen();  // logs/ is gone: the open fails and is logged
  log->write(record());
  REQUIRE(log->flush());
  CHECK(read_file(dir.file("moved/access.log")).find("/api/items/1") != std::string::npos);
}

}  // namespace
}  // namespace etagd::ops

namespace etagd::ops {
namespace {

// nginx's $time_local for kTime, the way nginx itself makes it (strftime in the C locale).
std::string time_local(int64_t unix_ms) {
  auto t = static_cast<time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%d/%b/%Y:%H:%M:%S %z", &tm);
  return std::string(buf, n);
}

// grok's COMBINEDAPACHELOG (logstash-patterns-core, the legacy `grok-patterns` file):
//   COMMONAPACHELOG %{IPORHOST:clientip} %{HTTPDUSER:ident} %{HTTPDUSER:auth}
//     \[%{HTTPDATE:timestamp}\] "(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?
//     |%{DATA:rawrequest})" %{NUMBER:response} (?:%{NUMBER:bytes}|-)
//   COMBINEDAPACHELOG %{COMMONAPACHELOG} %{QS:referrer} %{QS:agent}
// with each named pattern expanded to its regex; std::regex has no atomic groups, so QS
// (QUOTEDSTRING) is written without them, for double quotes. Anything after the agent is
// left to the caller: here, one space and the cache status.
const std::regex& combined_apache_log() {
  static const std::string ipv4 =
      R"((?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))";
  static const std::string ipv6 = R"((?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})";
  static const std::string hostname =
      R"((?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*\.?)";
  static const std::string iporhost = "(?:" + ipv6 + "|" + ipv4 + "|" + hostname + ")";
  static const std::string user = R"([a-zA-Z0-9._-]+)";
  static const std::string monthday = R"((?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9]))";
  static const std::string month = R"((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec))";
  static const std::string year = R"((?:\d\d){1,2})";
  static const std::string time =
      R"((?:2[0123]|[01]?[0-9]):(?:[0-5][0-9])(?::(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)))";
  static const std::string integer = R"((?:[+-]?(?:[0-9]+)))";
  static const std::string httpdate =
      monthday + "/" + month + "/" + year + ":" + time + " " + integer;
  static const std::string number = R"((?:[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+))))";
  static const std::string qs = R"(("(?:\\.|[^\\"])*"))";
  static const std::regex re("^(" + iporhost + ") (" + user + ") (" + user + ") \\[(" + httpdate +
                             ")\\] \"(?:(\\w+) (\\S+)(?: HTTP/(" + number + "))?|(.*?))\" (" +
                             number + ") (?:(" + number + ")|-) " + qs + " " + qs + " (\\S+)$");
  return re;
}

struct GrokFields {
  std::string clientip, timestamp, verb, request, httpversion, rawrequest, response, bytes,
      referrer, agent, cache;
};

std::optional<GrokFields> grok(const std::string& line) {
  std::smatch m;
  if (!std::regex_match(line, m, combined_apache_log())) return std::nullopt;
  return GrokFields{m[1], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13]};
}

TEST_CASE("the combined format is nginx's combined line with the cache status appended") {
  CHECK(AccessLog::format_combined(record()) ==
        "127.0.0.1 - - [" + time_local(kTime) +
            R"(] "GET /api/items/1 HTTP/1.1" 200 512 "-" "curl/7.88.1" HIT)");
}

TEST_CASE("grok's COMBINEDAPACHELOG reads every field of a combined line") {
  ExchangeRecord r = record();
  r.client = "2001:db8::7";
  r.referer = "https://example.com/start?x=1";
  r.user_agent = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0";
  r.cache_status = CacheStatus::HitCoalesced;
  r.protocol = "HTTP/1.0";
  std::optional<GrokFields> g = grok(AccessLog::format_combined(r));
  REQUIRE(g.has_value());
  CHECK(g->clientip == "2001:db8::7");
  CHECK(g->timestamp == time_local(kTime));
  CHECK(g->verb == "GET");
  CHECK(g->request == "/api/items/1");
  CHECK(g->httpversion == "1.0");
  CHECK(g->response == "200");
  CHECK(g->bytes == "512");
  CHECK(g->referrer == "\"https://example.com/start?x=1\"");
  CHECK(g->agent == "\"Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\"");
  CHECK(g->cache == "HIT-COALESCED");
}

TEST_CASE("grok reads a combined line whose target and agent hold quotes, spaces and bytes") {
  ExchangeRecord r = record();
  std::string target = "/a\"b\\c d\x01\xc3\xa9";
  std::string agent = "x\" 200 0 \"-\" \"forged";
  r.target = target;
  r.user_agent = agent;
  std::string line = AccessLog::format_combined(r);
  // nginx's escaping: \x22 for the quote, \x5C for the backslash.
  CHECK(line.find(R"("GET /a\x22b\x5Cc d\x01\xC3\xA9 HTTP/1.1")") != std::string::npos);
  std::optional<GrokFields> g = grok(line);
  REQUIRE(g.has_value());
  CHECK(g->response == "200");
  CHECK(g->agent == R"("x\x22 200 0 \x22-\x22 \x22forged")");
  CHECK(g->cache == "HIT");
}

TEST_CASE("grok reads a refusal's combined line, whose request is -") {
  ExchangeRecord r;
  r.start_unix_ms = kTime;
  r.client = "10.0.0.9";
  r.status = 400;
  r.body_bytes = 30;
  r.total_us = -1;
  std::string line = AccessLog::format_combined(r);
  CHECK(line == "10.0.0.9 - - [" + time_local(kTime) + R"(] "-" 400 30 "-" "-" NONE)");
  std::optional<GrokFields> g = grok(line);
  REQUIRE(g.has_value());
  CHECK(g->rawrequest == "-");
  CHECK(g->response == "400");
}

TEST_CASE("an access log opened with the combined format writes combined lines") {
  ScratchDir dir;
  auto log = open_access_log(dir.file("access.log"), config::LogFormat::Combined);
  REQUIRE(log != nullptr);
  log->write(record());
  REQUIRE(log->flush());
  std::string content = read_file(dir.file("access.log"));
  REQUIRE(!content.empty());
  CHECK(grok(content.substr(0, content.size() - 1)).has_value());
}

}  // namespace
}  // namespace etagd::ops
