// Requests that waited for another request's fetch of the same key: their own cache status
// (HIT-COALESCED) in X-Cache, the access log and the request metrics, and counted in
// etagd_coalesced_waits_total.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/origin_scripts.h"
#include "support/prometheus_text.h"
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

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("requests that waited for another's fetch are HIT-COALESCED and counted as waits") {
  ScriptedOrigin origin;
  origin.route("/api/hot", script::delayed(500ms, script::respond(200, {}, "hot data")));
  TempDir dir;
  std::string access_log = dir.file("access.log").string();
  uint16_t port = free_port();
  uint16_t admin_port = free_port();
  std::string yaml =
      "listen: [\"127.0.0.1:" + std::to_string(port) + "\"]\n" +
      "upstream: { url: \"http://127.0.0.1:" + std::to_string(origin.port()) + "\" }\n" +
      "workers: 2\nadmin: { listen: \"127.0.0.1:" + std::to_string(admin_port) + "\" }\n" +
      "log: { access_log: " + access_log + " }\n" +
      "rules:\n  - match: { prefix: /api/ }\n    cache: store\n    ttl: 60s\n";
  EtagdProcess etagd(yaml, port);
  etagd.wait_ready();
  etagd.wait_listening(admin_port);

  // Every client connects first, then all send at once: one fetches, the others wait for it.
  constexpr size_t kRequests = 20;
  std::vector<std::string> statuses(kRequests);
  std::vector<std::thread> threads;
  std::atomic<size_t> connected{0};
  std::atomic<bool> go{false};
  for (size_t i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      std::optional<HttpClient> client;
      try {
        client.emplace(port, 10000ms);
      } catch (const std::exception&) {
      }
      ++connected;
      while (!go.load()) std::this_thread::yield();
      if (!client) return;
      try {
        statuses[i] = client->get("/api/hot").headers.get("X-Cache");
      } catch (const std::exception& e) {
        statuses[i] = e.what();
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + 5000ms;
  while (connected.load() < kRequests && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  go = true;
  for (std::thread& t : threads) t.join();

  REQUIRE(origin.request_count("/api/hot") == 1);
  size_t misses = 0;
  size_t coalesced = 0;
  for (const std::string& s : statuses) {
    misses += s == "MISS" ? 1 : 0;
    coalesced += s == "HIT-COALESCED" ? 1 : 0;
  }
  CHECK(misses == 1);
  CHECK(coalesced == kRequests - 1);
  // A later request finds the entry without waiting: a plain HIT.
  CHECK(http_get(port, "/api/hot").headers.get("X-Cache") == "HIT");

  HttpResponse metrics = http_get(admin_port, "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(sample_value(metrics.body, "etagd_coalesced_waits_total") == kRequests - 1);
  CHECK(sample_value(metrics.body,
                     R"(etagd_requests_total{method="GET",status="2xx",cache="HIT-COALESCED"})") ==
        kRequests - 1);
  CHECK(sample_value(metrics.body,
                     R"(etagd_request_duration_seconds_count{cache="HIT-COALESCED"})") ==
        kRequests - 1);

  deadline = std::chrono::steady_clock::now() + 3000ms;
  while (count_of(file_text(access_log), " HIT-COALESCED ") < kRequests - 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK(count_of(file_text(access_log), " 200 8 HIT-COALESCED - ") == kRequests - 1);
}
