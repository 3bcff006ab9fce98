// The admin listener: metrics that move, purge, health, and nothing of it on the public side.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/etagd_process.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/prometheus_text.h"
#include "support/http_client.h"
#include "support/origin_scripts.h"
#include "support/scripted_origin.h"
#include "support/temp_dir.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

struct AdminSetup {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  uint16_t admin_port = free_port();
  std::string config() const {
    std::string yaml = "listen: [\"127.0.0.1:" + std::to_string(port) + "\"]\n" +
                       "upstream: { url: \"http://127.0.0.1:" + std::to_string(origin.port()) +
                       "\" }\nworkers: 2\nadmin: { listen: \"127.0.0.1:" +
                       std::to_string(admin_port) + "\" }\n" +
                       "rules:\n  - match: { prefix: /api/ }\n    cache: store\n    ttl: 60s\n";
    return yaml;
  }
};

// `pending_restart[key]` of a /config answer as Python's json module reads it, written back
// compactly: "" unless the answer is JSON, and a string value comes back quoted once.
std::string pending_value(const std::string& config_json, const std::string& key) {
  TempDir dir;
  auto path = dir.write("config.json", config_json);
  ProcessResult r = run_process(
      {"/usr/bin/python3", "-c",
       "import json, sys\n"
       "pending = json.load(open(sys.argv[1]))['pending_restart']\n"
       "print(json.dumps(pending[sys.argv[2]], separators=(',', ':')))\n",
       path.string(), key});
  INFO(r.output);
  REQUIRE(r.exit.success());
  return r.output.substr(0, r.output.find('\n'));
}

std::string scrape(uint16_t admin_port) {
  HttpResponse r = http_get(admin_port, "/metrics");
  REQUIRE(r.status == 200);
  return r.body;
}

}  // namespace

TEST_CASE("metrics count requests by method, status class and cache status as they happen") {
  AdminSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  const std::string miss = "etagd_requests_total{method=\"GET\",status=\"2xx\",cache=\"MISS\"}";
  const std::string hit = "etagd_requests_total{method=\"GET\",status=\"2xx\",cache=\"HIT\"}";

  HttpResponse first = http_get(s.port, "/api/m");
  REQUIRE(first.status == 200);
  std::string before = scrape(s.admin_port);
  CHECK(sample_value(before, miss) == 1);
  double hits_before = sample_value(before, hit).value_or(0);

  for (int i = 0; i < 3; ++i) CHECK(http_get(s.port, "/api/m").headers.get("X-Cache") == "HIT");
  // A revalidation the cache answers itself counts as a local 304 and saves the body bytes.
  HttpResponse not_modified =
      http_get(s.port, "/api/m", {{"If-None-Match", first.headers.get("ETag")}});
  CHECK(not_modified.status == 304);

  std::string after = scrape(s.admin_port);
  CHECK(sample_value(after, hit) == hits_before + 3);
  CHECK(sample_value(after, "etagd_requests_total{method=\"GET\",status=\"3xx\",cache=\"HIT\"}") ==
        1);
  CHECK(sample_value(after, "etagd_local_not_modified_total") == 1);
  CHECK(sample_value(after, "etagd_saved_body_bytes_total") ==
        static_cast<double>(first.body.size()));
  CHECK(sample_value(after, "etagd_upstream_requests_total") == 1);
  CHECK(sample_value(after, "etagd_cache_entries") == 1);
}

TEST_CASE("an admin purge removes the entry and the next request is a MISS") {
  AdminSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  REQUIRE(http_get(s.port, "/api/p").headers.get("X-Cache") == "MISS");
  REQUIRE(http_get(s.port, "/api/p").headers.get("X-Cache") == "HIT");

  std::string url = "http://127.0.0.1:" + std::to_string(s.port) + "/api/p";
  HttpResponse purge = http_request(s.admin_port, "POST", "/purge?url=" + url);
  CHECK(purge.status == 200);
  CHECK(purge.body.find("\"purged\":1") != std::string::npos);
  CHECK(http_get(s.port, "/api/p").headers.get("X-Cache") == "MISS");
  CHECK(s.origin.request_count("/api/p") == 2);

  // Prefix purge, with the PURGE method.
  REQUIRE(http_get(s.port, "/api/q1").status == 200);
  REQUIRE(http_get(s.port, "/api/q2").status == 200);
  HttpResponse prefix = http_request(s.admin_port, "PURGE", "/purge?prefix=/api/q");
  CHECK(prefix.status == 200);
  CHECK(prefix.body.find("\"purged\":2") != std::string::npos);
  CHECK(http_get(s.port, "/api/q1").headers.get("X-Cache") == "MISS");
}

TEST_CASE("admin paths are not served on the public listener: they go to the upstream") {
  AdminSetup s;
  s.origin.set_default(script::respond(404, {{"Content-Type", "text/plain"}}, "origin 404"));
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  for (const char* path : {"/metrics", "/healthz", "/config"}) {
    HttpResponse r = http_get(s.port, path);
    CHECK(r.status == 404);
    CHECK(r.body == "origin 404");
    CHECK(s.origin.request_count(path) == 1);
  }
  HttpResponse purge = http_request(s.port, "POST", "/purge?prefix=/");
  CHECK(purge.status == 404);
  CHECK(s.origin.request_count("/purge") == 1);
}

TEST_CASE("healthz answers 200 while serving and 503 while draining") {
  AdminSetup s;
  s.origin.route("/api/slow", script::delayed(1500ms, script::respond(200, {}, "slow")));
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  CHECK(http_get(s.admin_port, "/healthz").status == 200);

  HttpClient slow(s.port);
  slow.send_request("GET", "/api/slow");
  REQUIRE(s.origin.wait_for_requests("/api/slow", 1, 3000ms));
  etagd.signal(SIGTERM);
  CHECK(eventually([&] { return http_get(s.admin_port, "/healthz").status == 503; }, 3000ms));
  // The request in flight still gets its answer.
  CHECK(slow.read_response().status == 200);
  auto exit = etagd.wait_exit(5000ms);
  REQUIRE(exit.has_value());
  CHECK(exit->success());
}

TEST_CASE("GET /config shows the effective configuration, rules included") {
  AdminSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  HttpResponse r = http_get(s.admin_port, "/config");
  CHECK(r.status == 200);
  CHECK(r.body.find("\"prefix\"") != std::string::npos);
  CHECK(r.body.find("/api/") != std::string::npos);
  CHECK(r.body.find(std::to_string(s.origin.port())) != std::string::npos);
}

TEST_CASE("after a reload /config shows what runs, and what waits for a restart as JSON values") {
  AdminSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  std::string bound = "127.0.0.1:" + std::to_string(s.port);
  std::string other = "127.0.0.1:" + std::to_string(free_port());
  std::string moved = s.config();
  moved.replace(moved.find(bound), bound.size(), other);
  moved.replace(moved.find("workers: 2"), 10, "workers: 3");
  etagd.rewrite_config(moved + "log: { level: debug }\ncache: { max_memory: 32MiB }\n");
  etagd.signal(SIGHUP);
  REQUIRE(etagd.wait_for_log("listen: changed (restart etagd to apply)", 3000ms));
  REQUIRE(etagd.wait_for_log("configuration reloaded", 3000ms));
  HttpResponse r = http_get(s.admin_port, "/config");
  REQUIRE(r.status == 200);
  CHECK(r.body.find("\"" + bound + "\"") != std::string::npos);
  // Each waiting value is the JSON value the running one is written as, not a string of it.
  CHECK(pending_value(r.body, "listen") == "[\"" + other + "\"]");
  CHECK(pending_value(r.body, "workers") == "3");
  CHECK(pending_value(r.body, "cache.max_memory") == "\"32MiB\"");
  CHECK(r.body.find("\"level\": \"debug\"") != std::string::npos);  // what reloads, applies
  CHECK(http_get(s.port, "/still-here").status == 200);

  // Back to the address it runs on: nothing waits any more, and nothing is reported.
  etagd.rewrite_config(s.config());
  etagd.signal(SIGHUP);
  auto reloads = [&] {
    std::string log = etagd.log();
    size_t n = 0;
    for (size_t at = log.find("configuration reloaded"); at != std::string::npos;
         at = log.find("configuration reloaded", at + 1)) {
      ++n;
    }
    return n;
  };
  REQUIRE(eventually([&] { return reloads() == 2; }, 3000ms));
  std::string log = etagd.log();
  size_t first = log.find("listen: changed");
  CHECK(log.find("listen: changed", first + 1) == std::string::npos);
  r = http_get(s.admin_port, "/config");
  CHECK(r.body.find("\"pending_restart\": {}") != std::string::npos);
}

TEST_CASE("metrics show the build, open client connections, request durations and process_*") {
  AdminSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  REQUIRE(http_get(s.port, "/api/d").status == 200);
  REQUIRE(http_get(s.port, "/api/d").headers.get("X-Cache") == "HIT");

  // Three idle keep-alive connections, each with one answered request behind it.
  std::vector<HttpClient> idle;
  for (int i = 0; i < 3; ++i) {
    idle.emplace_back(s.port);
    REQUIRE(idle.back().get("/api/d").status == 200);
  }
  // The one-request connections before them close on their own once etagd reads their EOF.
  std::string m;
  for (int i = 0; i < 100; ++i) {
    m = scrape(s.admin_port);
    if (sample_value(m, "etagd_client_connections") == 3) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(sample_value(m, "etagd_client_connections") == 3);
  // The version of --version and a commit id; nothing else is known about the commit here.
  CHECK(m.find("etagd_build_info{version=\"") != std::string::npos);
  CHECK(m.find("\",commit=\"") != std::string::npos);
  CHECK(sample_value(m, R"(etagd_request_duration_seconds_count{cache="MISS"})") == 1);
  CHECK(sample_value(m, R"(etagd_request_duration_seconds_count{cache="HIT"})") == 4);
  CHECK(sample_value(m, R"(etagd_request_duration_seconds_bucket{cache="HIT",le="+Inf"})") == 4);
  CHECK(sample_value(m, "process_resident_memory_bytes") > 1e6);
  CHECK(sample_value(m, "process_virtual_memory_bytes") > 1e6);
  CHECK(sample_value(m, "process_open_fds") >= 5);  // listeners, connections, logs
  CHECK(sample_value(m, "process_max_fds") >= 1024);
  CHECK(sample_value(m, "process_cpu_seconds_total") >= 0);
  double start = sample_value(m, "process_start_time_seconds").value_or(0);
  double now = std::chrono::duration<double>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  CHECK(start <= now + 1);
  CHECK(start > now - 120);

  idle.clear();
  bool dropped = false;
  for (int i = 0; i < 100 && !dropped; ++i) {
    dropped = sample_value(scrape(s.admin_port), "etagd_client_connections") == 0;
    if (!dropped) std::this_thread::sleep_for(20ms);
  }
  CHECK(dropped);
}

TEST_CASE("PURGE of a path on the admin listener applies to every Host clients used") {
  AdminSetup s;
  EtagdProcess etagd(s.config(), s.port);
  etagd.wait_ready();
  etagd.wait_listening(s.admin_port);
  const std::string port = std::to_string(s.port);
  const std::vector<std::string> hosts = {"127.0.0.1:" + port, "localhost:" + port,
                                          "api.example.com"};
  auto status_for = [&](const std::string& host) {
    return http_get(s.port, "/api/items/3", {{"Host", host}}).headers.get("X-Cache");
  };
  for (const std::string& h : hosts) REQUIRE(status_for(h) == "MISS");
  for (const std::string& h : hosts) REQUIRE(status_for(h) == "HIT");

  // curl -X PURGE http://127.0.0.1:<admin>/api/items/3: its Host is the admin listener's.
  HttpResponse purge = http_request(s.admin_port, "PURGE", "/api/items/3");
  CHECK(purge.status == 200);
  CHECK(purge.body == "{\"purged\":3,\"target\":\"/api/items/3\"}\n");
  for (const std::string& h : hosts) CHECK(status_for(h) == "MISS");

  // host= narrows it to one host; the default port is the same as none.
  purge = http_request(s.admin_port, "POST", "/purge?url=/api/items/3&host=api.example.com:80");
  CHECK(purge.body == "{\"purged\":1,\"key\":\"api.example.com/api/items/3\"}\n");
  CHECK(status_for("api.example.com") == "MISS");
  CHECK(status_for("localhost:" + port) == "HIT");
  // A full URL names its host, any case.
  purge = http_request(s.admin_port, "POST", "/purge?url=http://LOCALHOST:" + port + "/api/items/3");
  CHECK(purge.body.find("\"purged\":1") != std::string::npos);
  CHECK(status_for("localhost:" + port) == "MISS");
  CHECK(status_for("127.0.0.1:" + port) == "HIT");
}
