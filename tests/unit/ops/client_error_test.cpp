#include "ops/client_error.h"

#include <doctest/doctest.h>

#include <string>

#include "ops/access_log.h"
#include "ops/metrics.h"
#include "unit/ops/helpers.h"

namespace etagd::ops {
namespace {

// A request head as parse_request_head leaves it; views point into `text`.
http::RequestHead parsed(const std::string& text) {
  http::RequestHead r;
  http::HeadScan scan;
  scan.status = http::HeadScan::Status::Complete;
  scan.length = text.size();
  std::string_view error = http::parse_request_head(text, scan, r);
  REQUIRE(error.empty());
  return r;
}

TEST_CASE("every refusal status has its own reason label, anything else is other") {
  CHECK(kClientErrorReasons[static_cast<size_t>(client_error_reason(400))] == "bad_request");
  CHECK(kClientErrorReasons[static_cast<size_t>(client_error_reason(408))] == "timeout");
  CHECK(kClientErrorReasons[static_cast<size_t>(client_error_reason(413))] == "body_too_large");
  CHECK(kClientErrorReasons[static_cast<size_t>(client_error_reason(414))] == "uri_too_long");
  CHECK(kClientErrorReasons[static_cast<size_t>(client_error_reason(417))] ==
        "expectation_failed");
  CHECK(kClientErrorReasons[static_cast<size_t>(client_error_reason(431))] == "header_too_large");
  CHECK(kClientErrorReasons[static_cast<size_t>(client_error_reason(501))] == "not_implemented");
  CHECK(kClientErrorReasons[static_cast<size_t>(client_error_reason(505))] ==
        "version_not_supported");
  CHECK(kClientErrorReasons[static_cast<size_t>(client_error_reason(418))] == "other");
}

TEST_CASE("a refusal's log line names status, peer and reason, and the request when it was read") {
  CHECK(refusal_log_line({431, "too many header fields", "10.0.0.9", nullptr, 0, {}}) ==
        "refused 431 to 10.0.0.9: too many header fields");
  std::string head = "POST /upload?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n";
  http::RequestHead r = parsed(head);
  CHECK(refusal_log_line({413, "request body too large", "::1", &r, 0, {}}) ==
        R"(refused 413 to ::1: request body too large; request "POST /upload?a=1 HTTP/1.1")");
}

TEST_CASE("a refusal's log line escapes the target and cuts a long one") {
  // Built by hand: the head scanner would refuse these bytes, but a reason must never trust
  // what it repeats.
  http::RequestHead r;
  r.method_token = "GET";
  r.raw_target = "/a\"\x1b[31m";  // the log repeats the target as sent
  r.target = r.raw_target;
  CHECK(refusal_log_line({400, "missing Host", "1.2.3.4", &r, 0, {}}) ==
        R"(refused 400 to 1.2.3.4: missing Host; request "GET /a\"\x1B[31m HTTP/1.1")");

  std::string long_head = "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  http::RequestHead l = parsed(long_head);
  std::string line = refusal_log_line({400, "x", "1.2.3.4", &l, 0, {}});
  CHECK(line.size() < 400);
  CHECK(line.find("aaa... HTTP/1.1\"") != std::string::npos);
}

TEST_CASE("a refusal is counted by reason, in the request matrix, and written to the access log") {
  test::ScratchDir dir;
  auto log = test::open_access_log(dir.file("access.log"), config::LogFormat::Combined);
  REQUIRE(log != nullptr);
  Metrics m(1);
  std::string head = "GET /big HTTP/1.1\r\nHost: api\r\nUser-Agent: probe/1\r\n\r\n";
  http::RequestHead r = parsed(head);
  report_refusal(m.worker(0), log.get(), {413, "request body too large", "10.1.2.3", &r, 41, {}});
  report_refusal(m.worker(0), log.get(), {400, "invalid method", "10.1.2.4", nullptr, 30, {}});
  REQUIRE(log->flush());

  std::string text = m.render(cache::CacheStats{}, ProcessGauges{});
  CHECK(text.find("etagd_client_errors_total{reason=\"body_too_large\"} 1\n") != std::string::npos);
  CHECK(text.find("etagd_client_errors_total{reason=\"bad_request\"} 1\n") != std::string::npos);
  CHECK(text.find("etagd_requests_total{method=\"GET\",status=\"4xx\",cache=\"NONE\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("etagd_requests_total{method=\"OTHER\",status=\"4xx\",cache=\"NONE\"} 1\n") !=
        std::string::npos);

  std::string lines = test::read_file(dir.file("access.log"));
  CHECK(lines.find("10.1.2.3 - - [") == 0);
  CHECK(lines.find(R"("GET /big HTTP/1.1" 413 41 "-" "probe/1" NONE)") != std::string::npos);
  CHECK(lines.find(R"(] "-" 400 30 "-" "-" NONE)") != std::string::npos);
}

}  // namespace
}  // namespace etagd::ops
