#include "ops/metrics.h"

#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace etagd::ops {
namespace {

// A strict reader of the Prometheus text format 0.0.4 as etagd writes it: every sample
// belongs to a family announced by # HELP and # TYPE before its first sample, names and
// labels are well-formed, values parse. Samples are keyed by their full series text
// ("name{labels}").
struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter/gauge/histogram
  std::map<std::string, double> samples;
  std::vector<std::string> order;  // series in output order

  double at(const std::string& series) const {
    auto it = samples.find(series);
    if (it == samples.end()) FAIL("no series " << series);
    return it->second;
  }
  bool has(const std::string& series) const { return samples.count(series) != 0; }
};

std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

Exposition parse(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  // name{label="value",...} value -- label values here never need escapes.
  static const std::string label = R"([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")";
  static const std::regex sample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{()" + label + ")(," + label +
                                 R"()*\})? (\S+))");
  Exposition e;
  std::set<std::string> helped;
  REQUIRE(!text.empty());
  REQUIRE(text.back() == '\n');
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      CHECK_MESSAGE(helped.insert(m[1]).second, "HELP twice for " << m[1]);
    } else if (std::regex_match(line, m, type)) {
      CHECK_MESSAGE(helped.count(m[1]) == 1, "TYPE before HELP for " << m[1]);
      CHECK_MESSAGE(e.types.emplace(m[1], m[2]).second, "TYPE twice for " << m[1]);
    } else if (std::regex_match(line, m, sample)) {
      std::string name = m[1];
      std::string family = family_of(name, e.types);
      CHECK_MESSAGE(e.types.count(family) == 1, "sample before its TYPE: " << line);
      bool prefixed = name.rfind("etagd_", 0) == 0 || name.rfind("process_", 0) == 0;
      CHECK_MESSAGE(prefixed, "unprefixed name: " << name);
      std::string series = name + std::string(m[2]);
      std::string value = m[5];
      double v = value == "+Inf" ? 1e300 : std::stod(value);
      CHECK_MESSAGE(e.samples.emplace(series, v).second, "duplicate series " << series);
      e.order.push_back(series);
    } else {
      FAIL("not exposition format: [" << line << "]");
    }
  }
  return e;
}

ExchangeRecord exchange(http::Method method, int status, CacheStatus cache, uint64_t bytes = 100) {
  ExchangeRecord r;
  r.method = method;
  r.status = status;
  r.cache_status = cache;
  r.body_bytes = bytes;
  return r;
}

std::string render(const Metrics& m) { return m.render(cache::CacheStats{}, ProcessGauges{}); }

TEST_CASE("a fresh registry renders every family with HELP and TYPE, and no request series") {
  Metrics m(2);
  Exposition e = parse(render(m));
  CHECK(e.types.at("etagd_requests_total") == "counter");
  CHECK(e.types.at("etagd_upstream_latency_seconds") == "histogram");
  CHECK(e.types.at("etagd_cache_entries") == "gauge");
  for (const auto& sample : e.samples) {
    const std::string& series = sample.first;
    CHECK_MESSAGE(series.rfind("etagd_requests_total", 0) != 0, "zero series shown: " << series);
  }
  CHECK(e.at("etagd_local_not_modified_total") == 0);
  CHECK(e.at("etagd_upstream_latency_seconds_count") == 0);
  CHECK(e.at("etagd_workers") == 2);
}

TEST_CASE("requests are counted by method, status class and cache status, summed over workers") {
  Metrics m(2);
  m.worker(0).record_exchange(exchange(http::Method::Get, 200, CacheStatus::Hit));
  m.worker(1).record_exchange(exchange(http::Method::Get, 204, CacheStatus::Hit));
  m.worker(1).record_exchange(exchange(http::Method::Get, 200, CacheStatus::Miss));
  m.worker(0).record_exchange(exchange(http::Method::Post, 503, CacheStatus::Bypass));
  m.worker(0).record_exchange(exchange(http::Method::Head, 404, CacheStatus::Miss));
  m.worker(0).record_exchange(exchange(http::Method::Other, 0, CacheStatus::None));

  Exposition e = parse(render(m));
  CHECK(e.at(R"(etagd_requests_total{method="GET",status="2xx",cache="HIT"})") == 2);
  CHECK(e.at(R"(etagd_requests_total{method="GET",status="2xx",cache="MISS"})") == 1);
  CHECK(e.at(R"(etagd_requests_total{method="POST",status="5xx",cache="BYPASS"})") == 1);
  CHECK(e.at(R"(etagd_requests_total{method="HEAD",status="4xx",cache="MISS"})") == 1);
  CHECK(e.at(R"(etagd_requests_total{method="OTHER",status="other",cache="NONE"})") == 1);
  CHECK_FALSE(e.has(R"(etagd_requests_total{method="GET",status="3xx",cache="HIT"})"));
  CHECK(e.at("etagd_response_body_bytes_total") == 600);
}

TEST_CASE("counters move between scrapes as requests are made") {
  Metrics m(1);
  m.worker(0).record_exchange(exchange(http::Method::Get, 200, CacheStatus::Miss));
  double before =
      parse(render(m)).at(R"(etagd_requests_total{method="GET",status="2xx",cache="MISS"})");
  m.worker(0).record_exchange(exchange(http::Method::Get, 200, CacheStatus::Miss));
  m.worker(0).record_exchange(exchange(http::Method::Get, 200, CacheStatus::Miss));
  double after =
      parse(render(m)).at(R"(etagd_requests_total{method="GET",status="2xx",cache="MISS"})");
  CHECK(before == 1);
  CHECK(after == 3);
}

TEST_CASE("a local 304 counts as one and adds the body bytes it did not send") {
  Metrics m(1);
  ExchangeRecord r = exchange(http::Method::Get, 304, CacheStatus::Hit, 0);
  r.local_304 = true;
  r.bytes_saved = 4096;
  m.worker(0).record_exchange(r);
  m.worker(0).record_exchange(r);
  // A 304 relayed from the upstream is not etagd's saving.
  m.worker(0).record_exchange(exchange(http::Method::Get, 304, CacheStatus::Revalidated, 0));

  Exposition e = parse(render(m));
  CHECK(e.at("etagd_local_not_modified_total") == 2);
  CHECK(e.at("etagd_saved_body_bytes_total") == 8192);
  CHECK(e.at(R"(etagd_requests_total{method="GET",status="3xx",cache="HIT"})") == 2);
  CHECK(e.at(R"(etagd_requests_total{method="GET",status="3xx",cache="REVALIDATED"})") == 1);
}

TEST_CASE("upstream latency fills cumulative histogram buckets with a matching sum and count") {
  Metrics m(2);
  m.worker(0).record_upstream_request(500);         // 0.5 ms -> le 0.001
  m.worker(0).record_upstream_request(1000);        // exactly 1 ms -> le 0.001 (bounds are <=)
  m.worker(1).record_upstream_request(30'000);      // 30 ms -> le 0.05
  m.worker(1).record_upstream_request(20'000'000);  // 20 s -> only +Inf

  Exposition e = parse(render(m));
  auto bucket = [&](const std::string& le) {
    return e.at("etagd_upstream_latency_seconds_bucket{le=\"" + le + "\"}");
  };
  CHECK(bucket("0.001") == 2);
  CHECK(bucket("0.025") == 2);
  CHECK(bucket("0.05") == 3);
  CHECK(bucket("10") == 3);
  CHECK(bucket("+Inf") == 4);
  CHECK(e.at("etagd_upstream_latency_seconds_count") == 4);
  CHECK(e.at("etagd_upstream_latency_seconds_sum") == doctest::Approx(20.0315));
  CHECK(e.at("etagd_upstream_requests_total") == 4);

  // Buckets are in increasing le order and never decrease.
  double last = -1;
  for (const std::string& series : e.order) {
    if (series.rfind("etagd_upstream_latency_seconds_bucket", 0) != 0) continue;
    CHECK(e.at(series) >= last);
    last = e.at(series);
  }
}

TEST_CASE("upstream errors are counted by kind") {
  Metrics m(1);
  m.worker(0).record_upstream_error(etagd::ops::UpstreamError::ConnectTimeout);
  m.worker(0).record_upstream_error(etagd::ops::UpstreamError::ConnectTimeout);
  m.worker(0).record_upstream_error(etagd::ops::UpstreamError::TruncatedBody);

  Exposition e = parse(render(m));
  CHECK(e.at(R"(etagd_upstream_errors_total{kind="connect_timeout"})") == 2);
  CHECK(e.at(R"(etagd_upstream_errors_total{kind="truncated"})") == 1);
  // Every kind is shown, even at zero, so rate() works from the first error.
  for (size_t i = 0; i < etagd::ops::kUpstreamErrorCount; ++i) {
    std::string_view kind = upstream_error_kind(static_cast<etagd::ops::UpstreamError>(i));
    CHECK(e.has("etagd_upstream_errors_total{kind=\"" + std::string(kind) + "\"}"));
  }
}

TEST_CASE("coalesced waits and config reloads are counted") {
  Metrics m(1);
  m.worker(0).record_coalesced_wait();
  m.record_reload(true);
  m.record_reload(true);
  m.record_reload(false);
  CHECK(m.reloads() == 2);
  CHECK(m.reload_failures() == 1);
  Exposition e = parse(render(m));
  CHECK(e.at("etagd_coalesced_waits_total") == 1);
  CHECK(e.at("etagd_config_reloads_total") == 2);
  CHECK(e.at("etagd_config_reload_failures_total") == 1);
}

TEST_CASE("cache statistics and process gauges are rendered as given") {
  Metrics m(1);
  cache::CacheStats stats;
  stats.entries = 12;
  stats.bytes = 34567;
  stats.inserts = 20;
  stats.evictions = 5;
  stats.invalidations = 3;
  stats.purged = 2;
  ProcessGauges g;
  g.draining = true;
  g.cache_max_bytes = 1 << 20;
  g.log_messages_dropped = 7;
  g.fleet_enabled = true;
  g.fleet_connected = true;
  g.fleet_messages_sent = 9;
  g.fleet_messages_applied = 8;
  g.fleet_gaps = 1;

  Exposition e = parse(m.render(stats, g));
  CHECK(e.at("etagd_cache_entries") == 12);
  CHECK(e.at("etagd_cache_bytes") == 34567);
  CHECK(e.at("etagd_cache_max_bytes") == 1 << 20);
  CHECK(e.at("etagd_cache_inserts_total") == 20);
  CHECK(e.at("etagd_cache_evictions_total") == 5);
  CHECK(e.at("etagd_cache_invalidations_total") == 3);
  CHECK(e.at("etagd_cache_purged_entries_total") == 2);
  CHECK(e.at("etagd_draining") == 1);
  CHECK(e.at("etagd_log_messages_dropped_total") == 7);
  CHECK(e.at("etagd_fleet_connected") == 1);
  CHECK(e.at("etagd_fleet_messages_sent_total") == 9);
  CHECK(e.at("etagd_fleet_messages_applied_total") == 8);
  CHECK(e.at("etagd_fleet_gaps_total") == 1);
  CHECK(e.at("etagd_start_time_seconds") > 1.6e9);
}

TEST_CASE("cache status names are the X-Cache values") {
  CHECK(cache_status_name(CacheStatus::Hit) == "HIT");
  CHECK(cache_status_name(CacheStatus::HitCoalesced) == "HIT-COALESCED");
  CHECK(cache_status_name(CacheStatus::Miss) == "MISS");
  CHECK(cache_status_name(CacheStatus::Stale) == "STALE");
  CHECK(cache_status_name(CacheStatus::Revalidated) == "REVALIDATED");
  CHECK(cache_status_name(CacheStatus::Bypass) == "BYPASS");
  CHECK(cache_status_name(CacheStatus::None) == "NONE");
}

TEST_CASE("the heap gauges say what malloc has handed out, at least the cache's blocks, and what "
          "it keeps free") {
  Metrics m(1);
  // A block the size of a cache entry's, held while the scrape runs.
  std::vector<char> held(3u << 20, 1);
  Exposition e = parse(m.render({}, {}));
  REQUIRE(e.has("etagd_heap_bytes"));
  REQUIRE(e.has("etagd_heap_free_bytes"));
  CHECK(e.at("etagd_heap_free_bytes") >= 0);
#if !defined(__SANITIZE_ADDRESS__)
  // Under AddressSanitizer malloc is ASan's, and mallinfo2() does not count its blocks.
  CHECK(e.at("etagd_heap_bytes") >= static_cast<double>(held.size()));
#endif
}

TEST_CASE("a coalesced hit is its own cache status in the request matrix") {
  Metrics m(1);
  m.worker(0).record_exchange(exchange(http::Method::Get, 200, CacheStatus::HitCoalesced));
  Exposition e = parse(render(m));
  CHECK(e.at(R"(etagd_requests_total{method="GET",status="2xx",cache="HIT-COALESCED"})") == 1);
  CHECK_FALSE(e.has(R"(etagd_requests_total{method="GET",status="2xx",cache="HIT"})"));
}

TEST_CASE("client errors are counted by reason, every reason shown from the start") {
  Metrics m(2);
  m.worker(0).record_client_error(client_error_reason(400));
  m.worker(1).record_client_error(client_error_reason(400));
  m.worker(1).record_client_error(client_error_reason(408));
  m.worker(0).record_client_error(client_error_reason(431));
  m.worker(0).record_client_error(client_error_reason(413));
  m.worker(0).record_client_error(client_error_reason(599));
  Exposition e = parse(render(m));
  CHECK(e.types.at("etagd_client_errors_total") == "counter");
  CHECK(e.at(R"(etagd_client_errors_total{reason="bad_request"})") == 2);
  CHECK(e.at(R"(etagd_client_errors_total{reason="timeout"})") == 1);
  CHECK(e.at(R"(etagd_client_errors_total{reason="header_too_large"})") == 1);
  CHECK(e.at(R"(etagd_client_errors_total{reason="body_too_large"})") == 1);
  CHECK(e.at(R"(etagd_client_errors_total{reason="other"})") == 1);
  CHECK(e.at(R"(etagd_client_errors_total{reason="uri_too_long"})") == 0);
  for (std::string_view reason : kClientErrorReasons) {
    CHECK(e.has("etagd_client_errors_total{reason=\"" + std::string(reason) + "\"}"));
  }
}

TEST_CASE("the client-side duration histogram is split by cache status and skips unknown times") {
  Metrics m(2);
  ExchangeRecord hit = exchange(http::Method::Get, 200, CacheStatus::Hit);
  hit.total_us = 40;  // 40 us -> le 0.0001
  m.worker(0).record_exchange(hit);
  hit.total_us = 100;  // exactly 0.1 ms -> le 0.0001 (bounds are <=)
  m.worker(1).record_exchange(hit);
  ExchangeRecord miss = exchange(http::Method::Get, 200, CacheStatus::Miss);
  miss.total_us = 30'000;  // 30 ms -> le 0.05
  m.worker(0).record_exchange(miss);
  ExchangeRecord refused = exchange(http::Method::Other, 400, CacheStatus::None);
  refused.total_us = -1;  // a refusal: no duration
  m.worker(0).record_exchange(refused);

  Exposition e = parse(render(m));
  CHECK(e.types.at("etagd_request_duration_seconds") == "histogram");
  auto bucket = [&](const std::string& cache, const std::string& le) {
    return e.at("etagd_request_duration_seconds_bucket{cache=\"" + cache + "\",le=\"" + le + "\"}");
  };
  CHECK(bucket("HIT", "0.0001") == 2);
  CHECK(bucket("HIT", "+Inf") == 2);
  CHECK(bucket("MISS", "0.025") == 0);
  CHECK(bucket("MISS", "0.05") == 1);
  CHECK(e.at(R"(etagd_request_duration_seconds_count{cache="HIT"})") == 2);
  CHECK(e.at(R"(etagd_request_duration_seconds_sum{cache="HIT"})") == doctest::Approx(0.00014));
  CHECK(e.at(R"(etagd_request_duration_seconds_sum{cache="MISS"})") == doctest::Approx(0.03));
  CHECK_FALSE(e.has(R"(etagd_request_duration_seconds_count{cache="NONE"})"));
  CHECK_FALSE(e.has(R"(etagd_request_duration_seconds_count{cache="STALE"})"));
}

TEST_CASE("build info, client connections and the process collector's metrics are rendered") {
  Metrics m(1);
  ProcessGauges g;
  g.version = "1.2.3";
  g.commit = "0123456789ab";
  g.client_connections = 42;
  Exposition e = parse(m.render(cache::CacheStats{}, g));
  CHECK(e.types.at("etagd_build_info") == "gauge");
  CHECK(e.at(R"(etagd_build_info{version="1.2.3",commit="0123456789ab"})") == 1);
  CHECK(e.types.at("etagd_client_connections") == "gauge");
  CHECK(e.at("etagd_client_connections") == 42);

  // The names and types of client_golang's process collector.
  CHECK(e.types.at("process_cpu_seconds_total") == "counter");
  CHECK(e.types.at("process_resident_memory_bytes") == "gauge");
  CHECK(e.types.at("process_virtual_memory_bytes") == "gauge");
  CHECK(e.types.at("process_start_time_seconds") == "gauge");
  CHECK(e.types.at("process_open_fds") == "gauge");
  CHECK(e.types.at("process_max_fds") == "gauge");
  CHECK(e.at("process_resident_memory_bytes") > 0);
  CHECK(e.at("process_virtual_memory_bytes") >= e.at("process_resident_memory_bytes"));
  CHECK(e.at("process_open_fds") >= 1);
  CHECK(e.at("process_max_fds") >= e.at("process_open_fds"));
  CHECK(e.at("process_cpu_seconds_total") >= 0);
  CHECK(e.at("process_start_time_seconds") > 1.6e9);
}

TEST_CASE("build info is left out when no version is given, and an empty commit is unknown") {
  Metrics m(1);
  CHECK_FALSE(parse(render(m)).types.count("etagd_build_info"));
  ProcessGauges g;
  g.version = "1.2.3";
  CHECK(parse(m.render(cache::CacheStats{}, g))
            .at(R"(etagd_build_info{version="1.2.3",commit="unknown"})") == 1);
}

}  // namespace
}  // namespace etagd::ops
