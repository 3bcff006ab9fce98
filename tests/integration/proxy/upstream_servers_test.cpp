// upstream.servers: several origin servers behind one etagd. Requests go to the server with
// the fewest requests in flight for its weight, backups only when no primary can be used, and
// a reload keeps what it can of the servers still listed.
#include <doctest/doctest.h>

#include <csignal>
#include <latch>
#include <thread>
#include <vector>

#include "support/free_port.h"
#include "support/origin_scripts.h"
#include "support/prometheus_text.h"
#include "support/proxy_harness.h"

namespace etagd::testing {
namespace {

std::string server(const ScriptedOrigin& o, std::string_view options = {}) {
  std::string item = "{ url: \"" + o.url() + "\"";
  if (!options.empty()) item += ", " + std::string(options);
  return item + " }";
}

// `clients` GETs at once, for /item/0, /item/1...; returns how many got 200.
size_t concurrent_gets(uint16_t port, size_t clients, std::string_view prefix = "/item/") {
  std::vector<int> status(clients, 0);
  std::latch start(static_cast<std::ptrdiff_t>(clients));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      status[i] = http_get(port, std::string(prefix) + std::to_string(i), {}, 10000ms).status;
    });
  }
  for (std::thread& t : threads) t.join();
  size_t ok = 0;
  for (int s : status) ok += s == 200;
  return ok;
}

size_t occurrences(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("concurrent requests are shared between the servers in proportion to their weight") {
  ScriptedOrigin heavy;
  ScriptedOrigin light;
  for (ScriptedOrigin* o : {&heavy, &light}) {
    o->route("/item/*", script::delayed(300ms, script::respond(200, {}, "item")));
  }
  ProxySettings s;
  s.workers = "2";
  s.servers = {server(heavy, "weight: 2"), server(light)};
  Proxy proxy(heavy, s);

  CHECK(concurrent_gets(proxy.port(), 30) == 30);
  // All 30 in flight at once: least outstanding for the weight gives 20 and 10; allow for
  // clients that arrive after others already finished.
  CHECK(heavy.request_count() >= 16);
  CHECK(light.request_count() >= 6);
  CHECK(heavy.request_count() + light.request_count() == 30);
  CHECK(heavy.request_count() > light.request_count());
}

TEST_CASE("one request at a time goes to the first server: the fewest in flight, ties to the "
          "first") {
  ScriptedOrigin first;
  ScriptedOrigin second;
  ProxySettings s;
  s.servers = {server(first), server(second)};
  Proxy proxy(first, s);
  for (int i = 0; i < 5; ++i) REQUIRE(http_get(proxy.port(), "/x").status == 200);
  CHECK(first.request_count() == 5);
  CHECK(second.request_count() == 0);
}

TEST_CASE("a busy primary makes requests wait, the backup is not used while a primary is up") {
  ScriptedOrigin primary;
  ScriptedOrigin backup;
  for (ScriptedOrigin* o : {&primary, &backup}) {
    o->route("/item/*", script::delayed(100ms, script::respond(200, {}, "item")));
  }
  ProxySettings s;
  s.servers = {server(primary), server(backup, "backup: true")};
  s.upstream = "max_connections: 1, queue: { size: 10, timeout: 5s }";
  Proxy proxy(primary, s);

  CHECK(concurrent_gets(proxy.port(), 4) == 4);
  CHECK(primary.request_count() == 4);
  CHECK(backup.request_count() == 0);
}

TEST_CASE("each server gets its own base path, and host_header: upstream its own authority") {
  ScriptedOrigin a;
  ScriptedOrigin b;
  for (ScriptedOrigin* o : {&a, &b}) {
    o->route("/*", script::delayed(300ms, script::respond(200, {}, "ok")));
  }
  ProxySettings s;
  s.servers = {"{ url: \"" + a.url() + "/one\" }", "{ url: \"" + b.url() + "/two\" }"};
  s.upstream = "host_header: upstream";
  Proxy proxy(a, s);

  // Two at once: the second finds the first server busy and goes to the other.
  REQUIRE(concurrent_gets(proxy.port(), 2) == 2);
  REQUIRE(a.request_count() == 1);
  REQUIRE(b.request_count() == 1);
  CHECK(a.last_request()->target.starts_with("/one/item/"));
  CHECK(a.last_request()->headers.get("Host") == a.authority());
  CHECK(b.last_request()->target.starts_with("/two/item/"));
  CHECK(b.last_request()->headers.get("Host") == b.authority());
}

TEST_CASE("a reload keeps the pooled connections of servers still listed and closes those of "
          "removed servers") {
  ScriptedOrigin kept;
  ScriptedOrigin added;
  ProxySettings s;
  s.servers = {server(kept)};
  Proxy proxy(kept, s);
  REQUIRE(http_get(proxy.port(), "/x").status == 200);
  REQUIRE(kept.connection_count() == 1);

  auto reload = [&](std::vector<std::string> servers, size_t reloads_before) {
    ProxySettings next = s;
    next.servers = std::move(servers);
    proxy.process().rewrite_config(proxy_config(proxy.port(), kept.port(), next));
    proxy.process().signal(SIGHUP);
    for (int i = 0; i < 100 && occurrences(proxy.log(), "configuration reloaded") <= reloads_before; ++i) {
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(occurrences(proxy.log(), "configuration reloaded") == reloads_before + 1);
  };

  reload({server(kept), server(added)}, 0);
  REQUIRE(http_get(proxy.port(), "/y").status == 200);
  CHECK(kept.request_count() == 2);
  CHECK(kept.connection_count() == 1);  // the same connection, kept across the reload

  reload({server(added)}, 1);
  REQUIRE(http_get(proxy.port(), "/z").status == 200);
  CHECK(added.request_count() == 1);
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    closed = kept.open_connections() == 0;
    if (!closed) std::this_thread::sleep_for(20ms);
  }
  CHECK(closed);
}

TEST_CASE("a reload that removes a server lets its request in flight finish there, sends it "
          "no new request, and shows it draining until that request is done") {
  ScriptedOrigin leaving;
  ScriptedOrigin staying;
  leaving.route("/slow", script::delayed(1500ms, script::respond(200, {}, "slow answer")));
  ProxySettings s;
  s.admin_port = free_port();
  s.servers = {server(leaving), server(staying)};
  Proxy proxy(leaving, s);

  HttpResponse slow;
  std::thread in_flight([&] { slow = http_get(proxy.port(), "/slow"); });
  REQUIRE(leaving.wait_for_requests("/slow", 1, 2000ms));  // a tie goes to the first listed

  ProxySettings next = s;
  next.servers = {server(staying)};
  proxy.process().rewrite_config(proxy_config(proxy.port(), leaving.port(), next));
  proxy.process().signal(SIGHUP);
  REQUIRE(proxy.process().wait_for_log("upstream " + leaving.url() +
                                           ": removed, draining 1 request(s) in flight",
                                       2000ms));
  auto series = [](std::string_view name, const ScriptedOrigin& o, std::string_view more = {}) {
    return std::string(name) + "{server=\"" + o.url() + "\"" + std::string(more) + "}";
  };
  std::string metrics = http_get(s.admin_port, "/metrics").body;
  CHECK(sample_value(metrics, series("etagd_upstream_server_state", leaving,
                                     ",state=\"draining\"")) == 1);
  CHECK(sample_value(metrics, series("etagd_upstream_server_state", leaving, ",state=\"up\"")) == 0);
  CHECK(sample_value(metrics, series("etagd_upstream_server_up", leaving)) == 0);
  CHECK(sample_value(metrics, series("etagd_upstream_server_in_flight", leaving)) == 1);
  CHECK(sample_value(metrics, series("etagd_upstream_server_state", staying,
                                     ",state=\"draining\"")) == 0);
  CHECK(sample_value(metrics, series("etagd_upstream_server_state", staying, ",state=\"up\"")) == 1);

  // While it drains, everything new goes to the server still listed.
  CHECK(concurrent_gets(proxy.port(), 6) == 6);
  CHECK(leaving.request_count() == 1);
  CHECK(staying.request_count() == 6);

  in_flight.join();
  CHECK(slow.status == 200);
  CHECK(slow.body == "slow answer");
  CHECK(proxy.process().wait_for_log("upstream " + leaving.url() +
                                         ": drained, its last request is done",
                                     2000ms));
  metrics = http_get(s.admin_port, "/metrics").body;
  CHECK(metrics.find(leaving.url()) == std::string::npos);  // gone from every family
  CHECK(sample_value(metrics, series("etagd_upstream_server_state", staying, ",state=\"up\"")) == 1);
  // Its connection is not pooled for later: closed once its request is done.
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    closed = leaving.open_connections() == 0;
    if (!closed) std::this_thread::sleep_for(20ms);
  }
  CHECK(closed);
}

}  // namespace etagd::testing
