// Requests etagd refuses before answering them normally (malformed, too large, too slow):
// each shows in the access log, in etagd_requests_total and etagd_client_errors_total, and in
// the error log with its reason and the peer, rate-limited so a flood writes a bounded number
// of lines.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/prometheus_text.h"
#include "support/proxy_harness.h"
#include "support/sanitizer_report.h"
#include "support/scripted_origin.h"
#include "support/temp_dir.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool eventually_contains(const std::string& path, const std::string& needle) {
  auto deadline = std::chrono::steady_clock::now() + 3000ms;
  while (std::chrono::steady_clock::now() < deadline) {
    if (file_text(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

struct RefusalSetup {
  ScriptedOrigin origin;
  TempDir dir;
  uint16_t port = free_port();
  uint16_t admin_port = free_port();
  std::string access_log = dir.file("access.log").string();

  std::string config() const {
    return "listen: [\"127.0.0.1:" + std::to_string(port) + "\"]\n" +
           "upstream: { url: \"http://127.0.0.1:" + std::to_string(origin.port()) + "\" }\n" +
           "workers: 1\nadmin: { listen: \"127.0.0.1:" + std::to_string(admin_port) + "\" }\n" +
           "log: { access_log: " + access_log + " }\n" +
           "timeouts: { client_header: 300ms }\n"
           "limits: { max_request_body: 1KiB, max_headers: 20 }\n";
  }
  double metric(const std::string& series) const {
    HttpResponse r = http_get(admin_port, "/metrics");
    REQUIRE(r.status == 200);
    return sample_value(r.body, series).value_or(-1);
  }
};

}  // namespace

TEST_CASE("a malformed request line is logged with reason and peer, counted, and in the access log") {
  RefusalSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);

  std::string answer = raw_exchange(s.port, "GARBAGE\r\n\r\n");
  REQUIRE(answer.rfind("HTTP/1.1 400 ", 0) == 0);

  CHECK(etagd.wait_for_log("refused 400 to 127.0.0.1: malformed request line", 3000ms));
  CHECK(eventually_contains(s.access_log, " 127.0.0.1 \"-\" 400 "));
  CHECK(s.metric(R"(etagd_client_errors_total{reason="bad_request"})") == 1);
  CHECK(s.metric(R"(etagd_requests_total{method="OTHER",status="4xx",cache="NONE"})") == 1);
  CHECK(s.origin.request_count() == 0);
}

TEST_CASE("refusals after the request line was read carry it into both logs") {
  RefusalSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);

  // 400 after the head parsed in part: the request line is known, Host is not.
  REQUIRE(raw_exchange(s.port, "GET /no-host HTTP/1.1\r\nUser-Agent: probe/2\r\n\r\n")
              .rfind("HTTP/1.1 400 ", 0) == 0);
  // 413: Content-Length over limits.max_request_body.
  REQUIRE(raw_exchange(s.port,
                       "POST /upload HTTP/1.1\r\nHost: api\r\nContent-Length: 5000\r\n\r\n")
              .rfind("HTTP/1.1 413 ", 0) == 0);
  // 431: more fields than limits.max_headers.
  std::string many = "GET /many HTTP/1.1\r\nHost: api\r\n";
  for (int i = 0; i < 30; ++i) many += "X-F" + std::to_string(i) + ": v\r\n";
  REQUIRE(raw_exchange(s.port, many + "\r\n").rfind("HTTP/1.1 431 ", 0) == 0);
  // 417: an expectation etagd cannot meet.
  REQUIRE(raw_exchange(s.port, "GET /expect HTTP/1.1\r\nHost: api\r\nExpect: tea\r\n\r\n")
              .rfind("HTTP/1.1 417 ", 0) == 0);

  CHECK(etagd.wait_for_log(
      "refused 400 to 127.0.0.1: missing Host; request \"GET /no-host HTTP/1.1\"", 3000ms));
  CHECK(etagd.wait_for_log(
      "refused 413 to 127.0.0.1: request body too large; request \"POST /upload HTTP/1.1\"",
      3000ms));
  CHECK(etagd.wait_for_log("refused 431 to 127.0.0.1: ", 3000ms));
  CHECK(etagd.wait_for_log("refused 417 to 127.0.0.1: unsupported Expect", 3000ms));
  CHECK(eventually_contains(s.access_log, "\"GET /no-host HTTP/1.1\" 400 "));
  CHECK(eventually_contains(s.access_log, "\"POST /upload HTTP/1.1\" 413 "));
  CHECK(file_text(s.access_log).find("\"probe/2\"") != std::string::npos);
  CHECK(s.metric(R"(etagd_client_errors_total{reason="bad_request"})") == 1);
  CHECK(s.metric(R"(etagd_client_errors_total{reason="body_too_large"})") == 1);
  CHECK(s.metric(R"(etagd_client_errors_total{reason="header_too_large"})") == 1);
  CHECK(s.metric(R"(etagd_client_errors_total{reason="expectation_failed"})") == 1);
  CHECK(s.metric(R"(etagd_requests_total{method="POST",status="4xx",cache="NONE"})") == 1);
}

TEST_CASE("a client too slow to send its head gets 408, counted as a timeout and logged") {
  RefusalSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  std::string answer = raw_exchange(s.port, "GET /slow HTTP/1.1\r\nHost: a", 5000ms);
  REQUIRE(answer.rfind("HTTP/1.1 408 ", 0) == 0);
  CHECK(etagd.wait_for_log("refused 408 to 127.0.0.1: request head not received in time", 3000ms));
  CHECK(s.metric(R"(etagd_client_errors_total{reason="timeout"})") == 1);
  CHECK(eventually_contains(s.access_log, "\"-\" 408 "));
}

TEST_CASE("a flood of refusals writes a burst of lines, then says how many were suppressed") {
  RefusalSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);

  constexpr int kFlood = 40;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kFlood; ++i) {
    REQUIRE(raw_exchange(s.port, "BAD\x01LINE\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0);
  }
  auto flood_ms = elapsed_ms(start);
  // After more than a second the bucket has a token again: this line gets through, preceded
  // by the count of the ones that did not.
  std::this_thread::sleep_for(1200ms);
  REQUIRE(raw_exchange(s.port, "LAST\x01ONE\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0);
  REQUIRE(etagd.wait_for_log("similar messages suppressed (refused bad_request)", 3000ms));
  REQUIRE(s.metric(R"(etagd_client_errors_total{reason="bad_request"})") == kFlood + 1);

  std::string log = etagd.log();
  size_t written = count_of(log, "refused 400 to 127.0.0.1: ");
  size_t suppressed = 0;
  std::regex summary(R"((\d+) similar messages suppressed \(refused bad_request\))");
  for (std::sregex_iterator it(log.begin(), log.end(), summary), end; it != end; ++it) {
    suppressed += std::stoul((*it)[1]);
  }
  CAPTURE(flood_ms);
  CAPTURE(written);
  // Every refusal is either written or counted in a summary line; the written ones are the
  // burst of 10 plus at most one a second.
  CHECK(written + suppressed == kFlood + 1);
  CHECK(written <= 10 + static_cast<size_t>(flood_ms / 1000) + 2);
  CHECK(suppressed >= 1);
  // The access log is not rate-limited: one line per request, as nginx writes it.
  CHECK(count_of(file_text(s.access_log), " 400 ") == kFlood + 1);
  CHECK(sanitizer_report(etagd.log()).empty());
}
