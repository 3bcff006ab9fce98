// SIGHUP reload: a valid file replaces the config for new requests, an invalid one is
// rejected with its diagnostics and the old config stays; requests under load never fail.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "support/etagd_process.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/scripted_origin.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

std::string rules_with(const std::string& cache_control) {
  return "rules:\n  - match: { prefix: /api/ }\n    ttl: 60s\n    cache_control: \"" +
         cache_control + "\"\n";
}

// Keeps requests going on two connections until stopped; counts answers and failures.
class Load {
 public:
  explicit Load(uint16_t port) {
    for (int t = 0; t < 2; ++t) {
      threads_.emplace_back([this, port, t] {
        auto deadline = std::chrono::steady_clock::now() + 20s;
        try {
          HttpClient c(port);
          for (int i = 0; !stop_ && i < 100000 && std::chrono::steady_clock::now() < deadline; ++i) {
            HttpResponse r = c.get("/api/load/" + std::to_string((i + t) % 20));
            if (r.status == 200) {
              ++ok_;
            } else {
              ++failed_;
            }
          }
        } catch (const std::exception&) {
          ++failed_;
        }
      });
    }
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int ok() const { return ok_; }
  int failed() const { return failed_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0};
  std::atomic<int> failed_{0};
  std::vector<std::thread> threads_;
};

}  // namespace

TEST_CASE("a valid config reloaded under load applies to new requests and no request fails") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  auto config = [&](const std::string& cache_control) {
    std::string yaml = basic_config(port, origin.port(), rules_with(cache_control));
    return yaml.replace(yaml.find("workers: 1"), 10, "workers: 2");
  };
  EtagdProcess etagd(config("max-age=10"), port);
  etagd.wait_ready();
  REQUIRE(http_get(port, "/api/x").headers.get("Cache-Control") == "max-age=10");
  REQUIRE(http_get(port, "/api/x").headers.get("X-Cache") == "HIT");

  Load load(port);
  REQUIRE(eventually([&] { return load.ok() >= 50; }, 3000ms));  // requests before the reload
  etagd.rewrite_config(config("max-age=20"));
  etagd.signal(SIGHUP);
  REQUIRE(etagd.wait_for_log("configuration reloaded", 3000ms));
  const int at_reload = load.ok();
  REQUIRE(eventually([&] { return load.ok() >= at_reload + 50; }, 3000ms));  // and after it
  load.stop();

  CHECK(load.failed() == 0);
  CHECK(load.ok() > 0);
  // The cache survives a reload; the new Cache-Control applies to responses fetched after it.
  CHECK(http_get(port, "/api/x").headers.get("X-Cache") == "HIT");
  CHECK(http_get(port, "/api/fresh-after-reload").headers.get("Cache-Control") == "max-age=20");
}

TEST_CASE("an invalid config is rejected with file:line messages and the old one keeps serving") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  EtagdProcess etagd(basic_config(port, origin.port(), rules_with("max-age=10")), port);
  etagd.wait_ready();

  Load load(port);
  etagd.rewrite_config(basic_config(port, origin.port(), rules_with("max-age=20") +
                                                             "    ttl_typo: 5s\n"));
  etagd.signal(SIGHUP);
  REQUIRE(etagd.wait_for_log("reload rejected", 3000ms));
  load.stop();

  std::string log = etagd.log();
  CHECK(log.find("etagd.yaml:") != std::string::npos);
  CHECK(log.find("rules[0].ttl_typo") != std::string::npos);
  CHECK(load.failed() == 0);
  CHECK(http_get(port, "/api/after").headers.get("Cache-Control") == "max-age=10");
  CHECK(etagd.running());
}

TEST_CASE("settings that need a restart are reported as such on reload") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  EtagdProcess etagd(basic_config(port, origin.port()), port);
  etagd.wait_ready();
  uint16_t other = free_port();
  std::string changed = basic_config(port, origin.port());
  changed.replace(changed.find(std::to_string(port)), std::to_string(port).size(),
                  std::to_string(other));
  etagd.rewrite_config(changed);
  etagd.signal(SIGHUP);
  CHECK(etagd.wait_for_log("listen: changed (restart etagd to apply)", 3000ms));
  // Still serving on the old address.
  CHECK(http_get(port, "/still-here").status == 200);
}
