// Soak: about a minute of mixed traffic against one etagd: cache hits and
// misses, conditional requests, invalidating writes, oversized bodies, an origin with faulty
// routes, admin purges, and a reload every few seconds alternating two valid configurations
// and an invalid one. Built with -DETAGD_SANITIZE=ON (tests/soak/run-soak) it runs under
// AddressSanitizer, whose LeakSanitizer checks for leaks when etagd exits.
//
// It holds when: etagd never crashes and exits 0 on SIGTERM with no sanitizer report in its
// log; every request got an answer the workload allows (soak_workload.h); the cache never
// holds more than max_memory; RSS stays within max_memory plus a fixed margin of what etagd
// needed at start; every valid reload was applied and every invalid one rejected.
//
// ETAGD_SOAK_SECONDS sets the duration (default 60, at most 100: the CTest timeout is 120 s).
// ETAGD_SOAK_REPORT names a file that receives the figures (run-soak puts it in build-soak/).
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/proxy_harness.h"
#include "soak_workload.h"
#include "support/free_port.h"
#include "support/prometheus_text.h"
#include "support/sanitizer_report.h"

namespace etagd::testing {
namespace {

constexpr long kMaxMemoryMiB = 8;
// What RSS may grow by beyond the cache budget: buffers of in-flight bodies (600 KiB streams,
// 64 KiB reads per connection), allocator slack, and, under AddressSanitizer, its quarantine
// of freed memory (capped below through ASAN_OPTIONS) and shadow pages.
constexpr long kRssMarginMiB = 96;
constexpr int kClients = 4;

enum class ConfigVariant { A, B, Invalid };

std::string soak_config(uint16_t port, uint16_t admin_port, uint16_t origin_port,
                        ConfigVariant variant) {
  bool b = variant == ConfigVariant::B;
  std::string yaml =
      "listen: [\"127.0.0.1:" + std::to_string(port) + "\"]\n" +
      "upstream: { url: \"http://127.0.0.1:" + std::to_string(origin_port) +
      "\", max_idle: 16 }\n"
      "workers: 2\n"
      "admin: { listen: \"127.0.0.1:" + std::to_string(admin_port) + "\" }\n" +
      "timeouts: { upstream_read: 1s, shutdown: 5s }\n"
      "cache: { max_memory: " + std::to_string(kMaxMemoryMiB) +
      "MiB, max_object_size: 512KiB, shards: 4 }\n"
      "log: { level: warn }\n"
      "rules:\n"
      "  - name: writes\n"
      "    match: { methods: [PUT, POST, DELETE], prefix: /api/ }\n"
      "    cache: bypass\n"
      "    invalidate: [$path]\n"
      "  - name: reads\n"
      "    match: { prefix: /api/ }\n" +
      (b ? "    ttl: 5s\n    cache_control: \"max-age=5\"\n    etag: generate\n"
         : "    ttl: 30s\n    cache_control: \"max-age=30, must-revalidate\"\n") +
      "  - name: faulty\n"
      "    match: { prefix: /faulty/ }\n"
      "    ttl: 10s\n";
  if (variant == ConfigVariant::Invalid) yaml += "    no_such_action: true\n";
  return yaml;
}

std::string scrape(uint16_t admin_port) {
  try {
    HttpResponse r = http_get(admin_port, "/metrics", {}, 5000ms);
    return r.status == 200 ? r.body : "";
  } catch (const HttpError&) {
    return "";
  }
}

int soak_seconds() {
  const char* env = std::getenv("ETAGD_SOAK_SECONDS");
  int seconds = env && *env ? std::atoi(env) : 60;
  return std::clamp(seconds, 5, 100);
}

bool sanitized(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find("libasan") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("soak: a minute of mixed traffic, faults, purges and reloads, no leak, bounded memory") {
  const int seconds = soak_seconds();
  ScriptedOrigin origin;
  install_soak_routes(origin);
  const uint16_t port = free_port();
  const uint16_t admin_port = free_port();
  auto config = [&](ConfigVariant v) { return soak_config(port, admin_port, origin.port(), v); };

  EtagdProcess::Options options;
  // LeakSanitizer runs at exit; a small quarantine keeps ASan's own RSS near etagd's.
  options.env = {"ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16:abort_on_error=0",
                 "UBSAN_OPTIONS=print_stacktrace=1"};
  EtagdProcess etagd(config(ConfigVariant::A), port, options);
  etagd.wait_ready();
  etagd.wait_listening(admin_port);
  const pid_t pid = etagd.pid();
  const bool under_asan = sanitized(pid);
  const long start_rss_kib = resident_kib(pid);
  REQUIRE(start_rss_kib > 0);

  std::atomic<bool> stop{false};
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(seconds);

  SoakTally tally;
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      run_soak_client(port, 1000u + static_cast<unsigned>(i), stop, deadline, 10'000'000, tally);
    });
  }

  // Once a second: RSS and the cache's bytes.
  std::atomic<long> max_rss_kib{start_rss_kib};
  std::atomic<long> max_cache_bytes{0};
  std::atomic<long> max_budget_bytes{0};
  std::atomic<int> samples{0};
  std::thread sampler([&] {
    while (!stop && std::chrono::steady_clock::now() < deadline) {
      long rss = resident_kib(pid);
      if (rss > max_rss_kib) max_rss_kib = rss;
      std::string text = scrape(admin_port);
      long bytes = static_cast<long>(sample_value(text, "etagd_cache_bytes").value_or(-1));
      if (bytes > max_cache_bytes) max_cache_bytes = bytes;
      long budget = static_cast<long>(sample_value(text, "etagd_cache_max_bytes").value_or(-1));
      if (budget > max_budget_bytes) max_budget_bytes = budget;
      ++samples;
      std::this_thread::sleep_for(1s);
    }
  });

  // The operator: a purge every 2 s (of a slice of the items; of everything every 10 s), a
  // reload every 3 s (A, B, invalid, A, B, invalid...).
  int valid_reloads = 0;
  int invalid_reloads = 0;
  int purges = 0;
  int purge_failures = 0;
  for (int tick = 1; std::chrono::steady_clock::now() + 1s < deadline; ++tick) {
    std::this_thread::sleep_for(1s);
    if (tick % 2 == 0) {
      std::string prefix =
          tick % 10 == 0 ? "/api/" : "/api/items/" + std::to_string((tick / 2) % 10);
      try {
        HttpResponse r = http_request(admin_port, "POST", "/purge?prefix=" + prefix);
        (r.status == 200 ? purges : purge_failures)++;
      } catch (const HttpError&) {
        ++purge_failures;
      }
    }
    if (tick % 3 == 0) {
      ConfigVariant v = static_cast<ConfigVariant>((tick / 3 - 1) % 3);
      etagd.rewrite_config(config(v));
      etagd.signal(SIGHUP);
      (v == ConfigVariant::Invalid ? invalid_reloads : valid_reloads)++;
    }
  }
  stop = true;
  for (auto& t : clients) t.join();
  sampler.join();
  const long duration_ms = elapsed_ms(start);

  // Reloads are applied on etagd's main loop: give the last one a moment to be counted.
  std::this_thread::sleep_for(500ms);
  std::string final_metrics = scrape(admin_port);
  long final_cache_bytes =
      static_cast<long>(sample_value(final_metrics, "etagd_cache_bytes").value_or(-1));
  double reloads_ok = sample_value(final_metrics, "etagd_config_reloads_total").value_or(-1);
  double reloads_failed =
      sample_value(final_metrics, "etagd_config_reload_failures_total").value_or(-1);
  double evictions = sample_value(final_metrics, "etagd_cache_evictions_total").value_or(-1);
  long end_rss_kib = resident_kib(pid);

  ProcessExit exit = etagd.stop(10000ms);
  std::string log = etagd.log();
  std::string report = sanitizer_report(log);

  const long budget = kMaxMemoryMiB * 1024 * 1024;
  std::ostringstream figures;
  figures << "duration: " << duration_ms / 1000.0 << " s, " << kClients << " client threads\n"
          << "etagd: " << (under_asan ? "AddressSanitizer+UBSan (LeakSanitizer at exit)"
                                      : "no sanitizer")
          << ", exit: " << exit.describe() << ", sanitizer report: "
          << (report.empty() ? "none" : "YES") << "\n"
          << "requests sent: " << tally.sent() << ", answered as allowed: " << tally.expected()
          << ", unexpected: " << tally.unexpected() << "\n"
          << "reloads: " << valid_reloads << " valid (applied: " << reloads_ok << "), "
          << invalid_reloads << " invalid (rejected: " << reloads_failed << ")\n"
          << "admin purges: " << purges << " (failed: " << purge_failures << ")\n"
          << "cache: max_memory " << budget << " B, max observed " << max_cache_bytes
          << " B, at end " << final_cache_bytes << " B, evictions " << evictions << "\n"
          << "RSS: at start " << start_rss_kib << " KiB, max " << max_rss_kib << " KiB, at end "
          << end_rss_kib << " KiB (" << samples << " samples)\n"
          << "answers by kind:\n";
  for (const auto& [kind, count] : tally.by_kind()) figures << "  " << kind << ": " << count << "\n";
  MESSAGE(figures.str());
  if (const char* path = std::getenv("ETAGD_SOAK_REPORT"); path && *path) {
    std::ofstream(path) << figures.str();
  }

  CHECK(exit.success());
  CHECK_MESSAGE(report.empty(), "sanitizer report in etagd's log:\n", report);
  CHECK(tally.sent() > 1000);
  CHECK(tally.sent() == tally.expected() + tally.unexpected());
  CHECK(tally.unexpected() == 0);
  for (const std::string& d : tally.unexpected_details()) MESSAGE("unexpected: ", d);
  CHECK(samples >= seconds / 2);
  CHECK(max_budget_bytes == budget);
  CHECK(max_cache_bytes > 0);
  CHECK(max_cache_bytes <= budget);
  CHECK(final_cache_bytes <= budget);
  CHECK(evictions > 0);  // the working set is larger than the budget: the bound was exercised
  CHECK(max_rss_kib <= start_rss_kib + (kMaxMemoryMiB + kRssMarginMiB) * 1024);
  CHECK(reloads_ok == valid_reloads);
  CHECK(reloads_failed == invalid_reloads);
  CHECK(purge_failures == 0);
}

}  // namespace etagd::testing
