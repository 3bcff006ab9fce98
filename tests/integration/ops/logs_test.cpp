// Access log lines, and log files reopened on SIGUSR1 (logrotate).
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/http_client.h"
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
  std::string expected = "127.0.0.1 \"GET /api/log?x=1\" 200 " + std::to_string(r.body.size()) + " MISS ";
  REQUIRE(wait_for_text(log, expected, 3000ms));
  http_get(port, "/api/log?x=1");
  CHECK(wait_for_text(log, "\"GET /api/log?x=1\" 200 " + std::to_string(r.body.size()) + " HIT - ", 3000ms));
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
