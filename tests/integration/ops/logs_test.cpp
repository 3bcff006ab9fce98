// Access log lines, and log files reopened on SIGUSR1 (logrotate).
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/child_process.h"
#include "support/http_client.h"
#include "support/proxy_harness.h"
#include "support/scripted_origin.h"
#include "support/temp_dir.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The access log is written by an async thread: wait for `needle` to show up.
bool wait_for_text(const std::string& path, const std::string& needle,
                   std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_file(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("the text access log has time, client, request, status, bytes, cache status and times") {
  ScriptedOrigin origin;
  TempDir dir;
  std::string log = dir.file("access.log").string();
  uint16_t port = free_port();
  EtagdProcess etagd(basic_config(port, origin.port(), "log: { access_log: " + log + " }\n" +
                                                           "rules:\n  - match: { prefix: / }\n"
                                                           "    ttl: 60s\n"),
                     port);
  etagd.wait_ready();
  HttpResponse r = http_get(port, "/api/log?x=1");
  REQUIRE(r.status == 200);
  std::string expected =
      "127.0.0.1 \"GET /api/log?x=1 HTTP/1.1\" 200 " + std::to_string(r.body.size()) + " MISS ";
  REQUIRE(wait_for_text(log, expected, 3000ms));
  http_get(port, "/api/log?x=1", {{"User-Agent", "probe/3"}, {"Referer", "http://r.example/"}});
  CHECK(wait_for_text(log,
                      "\"GET /api/log?x=1 HTTP/1.1\" 200 " + std::to_string(r.body.size()) +
                          " HIT - ",
                      3000ms));
  // Host, Referer and User-Agent close the line, quoted.
  CHECK(wait_for_text(log, " \"127.0.0.1:" + std::to_string(port) +
                               "\" \"http://r.example/\" \"probe/3\"\n",
                      3000ms));
}

TEST_CASE("the JSON access log writes one object per request") {
  ScriptedOrigin origin;
  TempDir dir;
  std::string log = dir.file("access.json").string();
  uint16_t port = free_port();
  EtagdProcess etagd(
      basic_config(port, origin.port(), "log: { access_log: " + log + ", access_format: json }\n"),
      port);
  etagd.wait_ready();
  REQUIRE(http_get(port, "/j").status == 200);
  CHECK(wait_for_text(log, "\"target\":\"/j\"", 3000ms));
  CHECK(read_file(log).find("\"status\":200") != std::string::npos);
}

TEST_CASE("SIGUSR1 reopens a rotated access log") {
  ScriptedOrigin origin;
  TempDir dir;
  std::string log = dir.file("access.log").string();
  uint16_t port = free_port();
  EtagdProcess etagd(basic_config(port, origin.port(), "log: { access_log: " + log + " }\n"), port);
  etagd.wait_ready();
  REQUIRE(http_get(port, "/before-rotation").status == 200);
  REQUIRE(wait_for_text(log, "/before-rotation", 3000ms));

  std::filesystem::rename(log, log + ".1");
  etagd.signal(SIGUSR1);
  REQUIRE(etagd.wait_for_log("log files reopened", 3000ms));
  REQUIRE(http_get(port, "/after-rotation").status == 200);
  CHECK(wait_for_text(log, "/after-rotation", 3000ms));
  CHECK(read_file(log).find("/before-rotation") == std::string::npos);
  CHECK(read_file(log + ".1").find("/after-rotation") == std::string::npos);
}

namespace {

// goaccess, when installed (Debian's `goaccess` package; .ci/run installs it).
std::string goaccess_path() {
  for (const char* p : {"/usr/bin/goaccess", "/usr/local/bin/goaccess"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return "";
}

// The number after `"key": ` in goaccess's JSON report; -1 when absent.
long json_number(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  at = json.find_first_of("0123456789", at + key.size() + 3);
  if (at == std::string::npos) return -1;
  return std::stol(json.substr(at));
}

size_t lines_in(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("the JSON access log has protocol, host, referer and user agent") {
  ScriptedOrigin origin;
  TempDir dir;
  std::string log = dir.file("access.json").string();
  uint16_t port = free_port();
  EtagdProcess etagd(
      basic_config(port, origin.port(), "log: { access_log: " + log + ", access_format: json }\n"),
      port);
  etagd.wait_ready();
  REQUIRE(http_get(port, "/j", {{"User-Agent", "probe/4"}}).status == 200);
  CHECK(wait_for_text(log, "\"protocol\":\"HTTP/1.1\"", 3000ms));
  std::string text = read_file(log);
  CHECK(text.find("\"host\":\"127.0.0.1:" + std::to_string(port) + "\"") != std::string::npos);
  CHECK(text.find("\"referer\":null") != std::string::npos);
  CHECK(text.find("\"user_agent\":\"probe/4\"") != std::string::npos);
}

TEST_CASE("goaccess parses every line of the combined access log, refusals included") {
  std::string goaccess = goaccess_path();
  if (goaccess.empty()) {
    // CI installs it (.ci/run); a developer machine without it skips the strongest check
    // here, while the unit tests still parse combined lines with grok's pattern.
    bool in_ci = std::getenv("CI") != nullptr;
    if (in_ci) FAIL("goaccess is not installed");
    MESSAGE("goaccess not installed (apt-get install goaccess): skipped");
    return;
  }
  ScriptedOrigin origin;
  TempDir dir;
  std::string log = dir.file("access.log").string();
  uint16_t port = free_port();
  EtagdProcess etagd(
      basic_config(port, origin.port(),
                   "log: { access_log: " + log + ", access_format: combined }\n"
                   "rules:\n  - match: { prefix: /api/ }\n    cache: store\n    ttl: 60s\n"),
      port);
  etagd.wait_ready();

  size_t requests = 0;
  HttpResponse first = http_get(port, "/api/items/1?page=2",
                                {{"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"},
                                 {"Referer", "https://app.example.com/list?q=\"x\""}});
  ++requests;
  REQUIRE(first.status == 200);
  http_get(port, "/api/items/1?page=2", {{"User-Agent", "curl/7.88.1"}});  // a HIT
  ++requests;
  http_get(port, "/api/items/1?page=2", {{"If-None-Match", first.headers.get("ETag")}});  // 304
  ++requests;
  http_request(port, "HEAD", "/api/items/1?page=2");
  ++requests;
  http_request(port, "POST", "/api/items", {{"Content-Type", "application/json"}}, "{}");
  ++requests;
  http_get(port, "/other/path", {{"User-Agent", "agent with \\ backslash"}});
  ++requests;
  // Refusals: one without a readable request line, one with it.
  raw_exchange(port, "NOT HTTP AT ALL\r\n\r\n");
  ++requests;
  raw_exchange(port, "GET /no-host HTTP/1.1\r\n\r\n");
  ++requests;

  std::string text;
  auto deadline = std::chrono::steady_clock::now() + 3000ms;
  while (lines_in(text = read_file(log)) < requests && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(lines_in(text) == requests);

  std::string report = dir.file("report.json").string();
  ProcessResult r = run_process({goaccess, log, "--log-format=COMBINED", "--no-global-config",
                                 "-o", report},
                                10000ms);
  INFO(r.output);
  INFO(text);
  REQUIRE(r.exit.success());
  std::string json = read_file(report);
  CHECK(json_number(json, "total_requests") == static_cast<long>(requests));
  CHECK(json_number(json, "valid_requests") == static_cast<long>(requests));
  CHECK(json_number(json, "failed_requests") == 0);
}
