// Health of the upstream servers: active health checks from one prober, passive ejection on
// failed requests, retries of idempotent requests on another server, and the backup that
// takes over only while every primary is down.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/eventually.h"
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

constexpr const char* kFastChecks =
    "health_check: { path: /health, interval: 200ms, timeout: 150ms, fails: 1, passes: 1 }";

}  // namespace

TEST_CASE("a server killed mid-run costs idempotent GETs no error: they are retried on the "
          "other server, and the health check takes the dead one out") {
  ScriptedOrigin a;
  ScriptedOrigin b;
  for (ScriptedOrigin* o : {&a, &b}) {
    o->route("/item/*", script::delayed(20ms, script::respond(200, {}, "item")));
  }
  ProxySettings s;
  s.workers = "2";
  s.servers = {server(a), server(b)};
  s.upstream = std::string(kFastChecks) + ", retry: { tries: 2 }";
  Proxy proxy(a, s);

  std::atomic<bool> stop{false};
  std::atomic<size_t> ok{0};
  std::atomic<size_t> failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 2000 && !stop; ++i) {
        int status = http_get(proxy.port(), "/item/" + std::to_string(t) + "-" + std::to_string(i))
                         .status;
        (status == 200 ? ok : failed)++;
      }
    });
  }
  std::this_thread::sleep_for(500ms);
  a.stop();  // mid-request for some of the clients
  auto stopped = std::chrono::steady_clock::now();
  bool detected = proxy.process().wait_for_log("upstream " + a.url() + ": down", 2000ms);
  long detection_ms = elapsed_ms(stopped);
  size_t b_before = b.request_count();
  std::this_thread::sleep_for(400ms);
  stop = true;
  for (std::thread& c : clients) c.join();

  CHECK(failed.load() == 0);
  CHECK(ok.load() > 0);
  CHECK(detected);
  // Within one interval plus the probe's timeout, with room for the log written asynchronously
  // and read by polling on a busy test machine.
  CHECK(detection_ms < 1000);
  CHECK(b.request_count() > b_before);    // the survivor takes everything
}

TEST_CASE("requests queued while every server went down are sent as soon as a health check "
          "brings one back, not left to wait for their queue timeout") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(1500ms, script::respond(200, {}, "slow")));
  origin.route("/item", script::respond(200, {}, "item"));
  ProxySettings s;
  s.servers = {server(origin)};
  s.upstream = std::string(kFastChecks) + ", max_connections: 1, queue: { size: 10, timeout: 20s }";
  Proxy proxy(origin, s);

  // The only slot is taken by a slow request; three more wait for it in the queue.
  std::atomic<int> slow_status{0};
  std::thread holder([&] { slow_status = http_get(proxy.port(), "/slow").status; });
  REQUIRE(origin.wait_for_requests("/slow", 1, 2000ms));
  std::vector<int> status(3, 0);
  std::vector<std::thread> queued;
  for (size_t i = 0; i < status.size(); ++i) {
    queued.emplace_back([&, i] { status[i] = http_get(proxy.port(), "/item", {}, 25000ms).status; });
  }
  std::this_thread::sleep_for(200ms);
  // The server goes down while they wait: the slot the slow request frees finds no usable
  // server, so nothing is sent and nothing frees a slot afterwards.
  origin.route("/health", script::respond(503, {}, "restarting"));
  REQUIRE(proxy.process().wait_for_log("upstream " + origin.url() + ": down", 2000ms));
  holder.join();
  CHECK(slow_status.load() == 200);
  std::this_thread::sleep_for(300ms);
  CHECK(origin.request_count("/item") == 0);

  origin.route("/health", script::respond(200, {}, "ok"));
  auto back = std::chrono::steady_clock::now();
  for (std::thread& t : queued) t.join();
  long answered_ms = elapsed_ms(back);
  for (int st : status) CHECK(st == 200);
  CHECK(origin.request_count("/item") == 3);
  // One interval (200 ms) for the probe that brings the server back, then three requests one
  // after the other through the one slot; far below the 20 s queue timeout (the bound leaves
  // room for a loaded test machine).
  CHECK(answered_ms < 3000);
}

TEST_CASE("a server that accepts connections and never answers is ejected by its read timeouts, "
          "and GETs retried on the other server see no error") {
  ScriptedOrigin hanging;
  ScriptedOrigin good;
  hanging.set_default(script::never_answer());
  ProxySettings s;
  s.servers = {server(hanging), server(good)};
  s.upstream = "passive: { fails: 2, within: 10s, eject_for: 30s }, retry: { tries: 2 }";
  s.timeouts = "upstream_read: 300ms";
  Proxy proxy(hanging, s);

  for (int i = 0; i < 10; ++i) {
    auto start = std::chrono::steady_clock::now();
    HttpResponse r = http_get(proxy.port(), "/item/" + std::to_string(i));
    CHECK(r.status == 200);
    CHECK(r.body == "{\"method\":\"GET\",\"target\":\"/item/" + std::to_string(i) + "\"}");
    // A request that met the hanging server waited one read timeout (300 ms), not more.
    CHECK(elapsed_ms(start) < 2000);
  }
  // One request at a time goes to the first server until two timeouts eject it.
  CHECK(hanging.request_count() == 2);
  CHECK(good.request_count() == 10);
  // The log is written asynchronously: wait for the line rather than read it at once.
  CHECK(proxy.process().wait_for_log("upstream " + hanging.url() + ": ejected for 30s after 2 "
                                     "failed requests within 10s", 2000ms));
}

TEST_CASE("slow start: a server back from an outage gets a small share of the requests at "
          "first and its full share once slow_start has passed") {
  ScriptedOrigin returning;
  ScriptedOrigin steady;
  for (ScriptedOrigin* o : {&returning, &steady}) {
    o->route("/item/*", script::delayed(20ms, script::respond(200, {}, "item")));
  }
  returning.route("/health", script::respond(503, {}, "starting"));
  ProxySettings s;
  s.servers = {server(returning), server(steady)};
  // A probe timeout long enough that a loaded test machine never takes a server out by
  // mistake: a server flapping would restart its slow start and skew the shares.
  s.upstream = "health_check: { path: /health, interval: 500ms, timeout: 500ms, fails: 2, "
               "passes: 1 }, slow_start: 5s";
  Proxy proxy(returning, s);
  REQUIRE(proxy.process().wait_for_log("upstream " + returning.url() + ": down", 2000ms));

  std::atomic<bool> stop{false};
  std::atomic<size_t> failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 2000 && !stop; ++i) {
        if (http_get(proxy.port(), "/item/" + std::to_string(t) + "-" + std::to_string(i))
                .status != 200) {
          failed++;
        }
      }
    });
  }
  // The share of the returning server among the requests of the next `window`.
  auto share = [&](std::chrono::milliseconds window) {
    returning.clear_requests();
    steady.clear_requests();
    std::this_thread::sleep_for(window);
    size_t ret = 0;
    for (const OriginRequest& q : returning.requests()) ret += q.path != "/health";
    size_t all = ret;
    for (const OriginRequest& q : steady.requests()) all += q.path != "/health";
    return all == 0 ? -1.0 : static_cast<double>(ret) / static_cast<double>(all);
  };
  std::this_thread::sleep_for(300ms);
  double while_down = share(300ms);
  returning.route("/health", script::respond(200, {}, "ok"));
  REQUIRE(proxy.process().wait_for_log("upstream " + returning.url() + ": up again", 2000ms));
  auto back = std::chrono::steady_clock::now();
  double first = share(500ms);
  std::this_thread::sleep_until(back + 5200ms);
  double settled = share(500ms);
  stop = true;
  for (std::thread& c : clients) c.join();

  CHECK(failed.load() == 0);
  CHECK(while_down == 0.0);
  // Its weight starts at a tenth and grows to the whole over the 5 s (the window starts when
  // the log line is seen, a little late: slow start is longer than it needs to be so that the
  // lag never matters); two equal servers share half and half once it has.
  CHECK(first < 0.25);
  CHECK(settled > 0.35);
}

TEST_CASE("a server failing its health check is not used although it accepts connections") {
  ScriptedOrigin sick;
  ScriptedOrigin well;
  sick.route("/health", script::respond(503, {}, "not ready"));
  ProxySettings s;
  s.servers = {server(sick), server(well)};
  s.upstream = kFastChecks;
  Proxy proxy(sick, s);
  REQUIRE(proxy.process().wait_for_log("upstream " + sick.url() + ": down", 2000ms));
  CHECK(proxy.log().find("answered 503") != std::string::npos);

  for (int i = 0; i < 5; ++i) REQUIRE(http_get(proxy.port(), "/x").status == 200);
  CHECK(sick.request_count("/x") == 0);
  CHECK(well.request_count("/x") == 5);
}

TEST_CASE("the backup takes requests only while the primary is down, and gives them back when "
          "it returns") {
  ScriptedOrigin primary;
  ScriptedOrigin backup;
  ProxySettings s;
  s.servers = {server(primary), server(backup, "backup: true")};
  s.upstream = std::string(kFastChecks) + ", slow_start: 0s";
  Proxy proxy(primary, s);

  for (int i = 0; i < 3; ++i) REQUIRE(http_get(proxy.port(), "/a").status == 200);
  CHECK(primary.request_count("/a") == 3);
  CHECK(backup.request_count("/a") == 0);

  primary.stop();
  REQUIRE(proxy.process().wait_for_log("upstream " + primary.url() + ": down", 2000ms));
  for (int i = 0; i < 3; ++i) REQUIRE(http_get(proxy.port(), "/b").status == 200);
  CHECK(backup.request_count("/b") == 3);

  primary.start();
  REQUIRE(proxy.process().wait_for_log("upstream " + primary.url() + ": up again", 2000ms));
  for (int i = 0; i < 3; ++i) REQUIRE(http_get(proxy.port(), "/c").status == 200);
  CHECK(primary.request_count("/c") == 3);
  CHECK(backup.request_count("/c") == 0);
}

TEST_CASE("passive checks eject a server whose requests fail, and retries hide the failures") {
  ScriptedOrigin broken;
  ScriptedOrigin good;
  broken.route("/item/*", script::reset_without_reply());
  ProxySettings s;
  s.servers = {server(broken), server(good)};
  s.upstream = "passive: { fails: 2, within: 10s, eject_for: 30s }, retry: { tries: 2 }";
  Proxy proxy(broken, s);

  for (int i = 0; i < 6; ++i) {
    HttpResponse r = http_get(proxy.port(), "/item/" + std::to_string(i));
    CHECK(r.status == 200);
  }
  // One request at a time goes to the first server until it is ejected after two failures.
  CHECK(broken.request_count() == 2);
  CHECK(good.request_count() == 6);
  // The log is written asynchronously: wait for the line rather than read it at once.
  CHECK(proxy.process().wait_for_log("upstream " + broken.url() + ": ejected for 30s after 2 "
                                     "failed requests within 10s", 2000ms));
}

TEST_CASE("an idempotent PUT or DELETE with a body is retried on the other server with the "
          "whole body, byte for byte, whether it came with Content-Length or chunked") {
  ScriptedOrigin broken;
  ScriptedOrigin good;
  broken.set_default(script::reset_without_reply());
  // The good server answers with what it received, so the client sees it too.
  good.set_default([](const OriginRequest& req, OriginReply& r) { r.reply(200, {}, req.body); });
  ProxySettings s;
  s.servers = {server(broken), server(good)};
  s.upstream = "retry: { tries: 2 }";
  Proxy proxy(broken, s);

  std::string big = binary_body(200000);
  HttpResponse put = http_request(proxy.port(), "PUT", "/doc/1", {}, big);
  CHECK(put.status == 200);
  CHECK(put.body == big);
  HttpResponse del = http_request(proxy.port(), "DELETE", "/doc/2", {}, "reason=obsolete");
  CHECK(del.status == 200);
  CHECK(del.body == "reason=obsolete");
  HttpClient client(proxy.port());
  HttpResponse chunked = client.request("PUT", "/doc/3", {{"Transfer-Encoding", "chunked"}},
                                        encode_chunked({"first part, ", "second part"}));
  CHECK(chunked.status == 200);
  CHECK(chunked.body == "first part, second part");

  REQUIRE(broken.request_count() == 3);  // each went to the first server first
  std::vector<OriginRequest> seen = good.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].method == "PUT");
  CHECK(seen[0].body == big);
  CHECK(seen[0].headers.get("Content-Length") == std::to_string(big.size()));
  CHECK(seen[1].method == "DELETE");
  CHECK(seen[1].body == "reason=obsolete");
  // The body was read whole before it went upstream: the retry sends it with its length.
  CHECK(seen[2].body == "first part, second part");
  CHECK_FALSE(seen[2].chunked);
  CHECK(seen[2].headers.get("Content-Length") == "23");
}

TEST_CASE("a request that is not idempotent is not retried on another server") {
  ScriptedOrigin broken;
  ScriptedOrigin good;
  broken.route("/form", script::reset_without_reply());
  ProxySettings s;
  s.servers = {server(broken), server(good)};
  s.upstream = "retry: { tries: 2 }";
  Proxy proxy(broken, s);

  HttpResponse post = http_request(proxy.port(), "POST", "/form", {}, "a=1");
  CHECK(post.status == 502);
  CHECK(good.request_count() == 0);
  // The same failure for a GET is retried.
  broken.route("/page", script::reset_without_reply());
  CHECK(http_get(proxy.port(), "/page").status == 200);
  CHECK(good.request_count("/page") == 1);
}

}  // namespace etagd::testing

namespace etagd::testing {

TEST_CASE("/metrics shows each server's state, requests in flight and health checks, and "
          "/healthz counts the servers up and answers 503 only when none is and the cache is "
          "empty") {
  ScriptedOrigin sick;
  ScriptedOrigin well;
  sick.route("/health", script::respond(503, {}, "not ready"));
  ProxySettings s;
  s.admin_port = free_port();
  s.servers = {"{ url: \"" + sick.url() + "\" }", "{ url: \"" + well.url() + "\" }"};
  s.upstream = "health_check: { path: /health, interval: 200ms, timeout: 150ms, fails: 1, "
               "passes: 1 }";
  Proxy proxy(sick, s);
  REQUIRE(proxy.process().wait_for_log("upstream " + sick.url() + ": down", 2000ms));

  auto series = [](std::string_view name, const ScriptedOrigin& o, std::string_view more = {}) {
    return std::string(name) + "{server=\"" + o.url() + "\"" + std::string(more) + "}";
  };
  // The two servers are checked independently: the sick one going down says nothing about
  // whether the well one's first check has passed yet.
  std::string well_passes = series("etagd_upstream_health_checks_total", well, ",result=\"pass\"");
  REQUIRE(eventually(
      [&] { return sample_value(http_get(s.admin_port, "/metrics").body, well_passes) >= 1; },
      2000ms));
  std::string metrics = http_get(s.admin_port, "/metrics").body;
  CHECK(sample_value(metrics, series("etagd_upstream_server_up", sick)) == 0);
  CHECK(sample_value(metrics, series("etagd_upstream_server_up", well)) == 1);
  CHECK(sample_value(metrics, series("etagd_upstream_server_state", sick, ",state=\"down\"")) == 1);
  CHECK(sample_value(metrics, series("etagd_upstream_health_checks_total", sick,
                                     ",result=\"fail\"")) >= 1);
  CHECK(sample_value(metrics, series("etagd_upstream_health_checks_total", well,
                                     ",result=\"pass\"")) >= 1);
  CHECK(sample_value(metrics, series("etagd_upstream_server_in_flight", well)) == 0);
  CHECK(sample_value(metrics, "etagd_upstream_queue_waiting") == 0);

  HttpResponse health = http_get(s.admin_port, "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\nupstream: 1 of 2 server(s) up\n");

  well.stop();
  REQUIRE(proxy.process().wait_for_log("upstream " + well.url() + ": down", 2000ms));
  HttpResponse none = http_get(s.admin_port, "/healthz");
  CHECK(none.status == 503);
  CHECK(none.body == "no upstream server is up and the cache is empty\nupstream: 0 of 2 server(s) up\n");
  // The client gets a clear answer too.
  HttpResponse r = http_get(proxy.port(), "/x");
  CHECK(r.status == 503);
  CHECK(r.body == "503 Service Unavailable: no upstream server is up\n");
  CHECK(!r.headers.get("Retry-After").empty());
  metrics = http_get(s.admin_port, "/metrics").body;
  CHECK(sample_value(metrics, "etagd_upstream_unavailable_total{reason=\"no_server\"}") == 1);
}

TEST_CASE("a request that waited in the upstream queue is counted in the wait histogram of "
          "its server") {
  ScriptedOrigin origin;
  origin.route("/slow/*", script::delayed(300ms, script::respond(200, {}, "slow")));
  ProxySettings s;
  s.admin_port = free_port();
  s.upstream = "max_connections: 1, queue: { size: 10, timeout: 5s }";
  Proxy proxy(origin, s);
  std::thread a([&] { http_get(proxy.port(), "/slow/a"); });
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  REQUIRE(http_get(proxy.port(), "/slow/b").status == 200);
  a.join();
  std::string metrics = http_get(s.admin_port, "/metrics").body;
  std::string label = "server=\"" + origin.url() + "\"";
  CHECK(sample_value(metrics, "etagd_upstream_queue_wait_seconds_count{" + label + "}") == 1);
  CHECK(sample_value(metrics, "etagd_upstream_queue_wait_seconds_sum{" + label + "}") > 0.1);
  // Waits of 0.1 s or more: none of it fell in the buckets below.
  CHECK(sample_value(metrics, "etagd_upstream_queue_wait_seconds_bucket{" + label +
                                  ",le=\"0.1\"}") == 0);
  CHECK(sample_value(metrics, "etagd_upstream_queue_wait_seconds_bucket{" + label +
                                  ",le=\"+Inf\"}") == 1);
}

TEST_CASE("with max_connections: 1 on two servers, each queued request's wait is counted "
          "under the server whose slot it got, and the queue depth stays one process-wide gauge") {
  ScriptedOrigin a;
  ScriptedOrigin b;
  // Long enough that the two slots are freed one after the other well before either waiter's
  // own request ends, so each waiter is given a different server.
  for (ScriptedOrigin* o : {&a, &b}) {
    o->route("/slow/*", script::delayed(600ms, script::respond(200, {}, "slow")));
  }
  ProxySettings s;
  s.admin_port = free_port();
  s.servers = {server(a), server(b)};
  s.upstream = "max_connections: 1, queue: { size: 10, timeout: 10s }";
  Proxy proxy(a, s);
  auto metric = [&](const std::string& series) {
    return sample_value(http_get(s.admin_port, "/metrics").body, series);
  };

  std::vector<int> status(4, 0);
  std::vector<std::thread> clients;
  auto get = [&](size_t i) {
    clients.emplace_back(
        [&, i] { status[i] = http_get(proxy.port(), "/slow/" + std::to_string(i)).status; });
  };
  // One request holds each server's only slot (ties go to the earlier server)...
  get(0);
  REQUIRE(a.wait_for_requests(1, 2000ms));
  get(1);
  REQUIRE(b.wait_for_requests(1, 2000ms));
  // ...and two more wait for them in the shared queue.
  get(2);
  REQUIRE(eventually([&] { return metric("etagd_upstream_queue_waiting") == 1; }, 2000ms));
  get(3);
  REQUIRE(eventually([&] { return metric("etagd_upstream_queue_waiting") == 2; }, 2000ms));
  for (std::thread& c : clients) c.join();
  for (int st : status) CHECK(st == 200);
  CHECK(a.request_count() == 2);
  CHECK(b.request_count() == 2);

  std::string metrics = http_get(s.admin_port, "/metrics").body;
  for (const ScriptedOrigin* o : {&a, &b}) {
    std::string label = "server=\"" + o->url() + "\"";
    CAPTURE(label);
    // The holders never waited; one waiter got this server's slot when its holder finished.
    CHECK(sample_value(metrics, "etagd_upstream_queue_wait_seconds_count{" + label + "}") == 1);
    CHECK(sample_value(metrics, "etagd_upstream_queue_wait_seconds_bucket{" + label +
                                    ",le=\"+Inf\"}") == 1);
    CHECK(sample_value(metrics, "etagd_upstream_queue_wait_seconds_sum{" + label + "}") > 0.1);
  }
  CHECK(sample_value(metrics, "etagd_upstream_queue_waiting") == 0);
  // No unlabelled series beside the labelled ones: summing over servers gives the total.
  CHECK_FALSE(sample_value(metrics, "etagd_upstream_queue_wait_seconds_count").has_value());
}

TEST_CASE("without health_check or passive checks /healthz calls the server not checked, "
          "not up, and once its origin is killed and requests get 502 says its last request "
          "failed") {
  ScriptedOrigin origin;
  origin.route("/item", script::respond(200, {}, "item"));
  ProxySettings s;
  s.admin_port = free_port();
  Proxy proxy(origin, s);
  const std::string unchecked =
      "ok\nupstream: 1 server(s), not checked (no health_check, passive off)\n";

  CHECK(http_get(proxy.port(), "/item").status == 200);
  HttpResponse before = http_get(s.admin_port, "/healthz");
  CHECK(before.status == 200);
  CHECK(before.body == unchecked);

  origin.stop();
  CHECK(http_get(proxy.port(), "/gone").status == 502);
  HttpResponse after = http_get(s.admin_port, "/healthz");
  // Still 200: nothing judges the server, requests still go to it (as HAProxy without
  // `check`, and nginx with one server), but the body no longer claims it is up.
  CHECK(after.status == 200);
  CAPTURE(after.body);
  std::string failed = "upstream " + origin.url() + ": the last request failed ";
  CHECK(after.body.starts_with(unchecked + failed));
  CHECK(after.body.ends_with("s ago (connect_failed), none answered since\n"));
}

TEST_CASE("with passive checks an origin that refuses connections is ejected after its 502: "
          "/healthz says 0 of 1 up and answers 503 while the cache is empty") {
  ScriptedOrigin origin;
  ProxySettings s;
  s.admin_port = free_port();
  s.upstream = "passive: { fails: 1, within: 10s, eject_for: 30s }";
  Proxy proxy(origin, s);
  CHECK(http_get(s.admin_port, "/healthz").body == "ok\nupstream: 1 of 1 server(s) up\n");

  origin.stop();
  CHECK(http_get(proxy.port(), "/gone").status == 502);
  HttpResponse health = http_get(s.admin_port, "/healthz");
  CHECK(health.status == 503);
  CAPTURE(health.body);
  CHECK(health.body.starts_with("no upstream server is up and the cache is empty\n"
                                "upstream: 0 of 1 server(s) up\n"
                                "upstream " + origin.url() + ": the last request failed "));
  // The next request is not sent to the ejected server.
  CHECK(http_get(proxy.port(), "/next").status == 503);
}

}  // namespace etagd::testing
