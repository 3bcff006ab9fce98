// upstream.max_connections and upstream.queue: a fragile origin behind etagd gets at most the
// configured number of requests at once, from all workers together; the rest wait in a
// bounded FIFO, and a request that finds it full or waits too long gets the stale entry
// (stale_if_error) or 503 with Retry-After. Cache hits never wait.
#include <doctest/doctest.h>

#include <latch>
#include <thread>
#include <vector>

#include "support/fragile_origin.h"
#include "support/origin_scripts.h"
#include "support/proxy_harness.h"

namespace etagd::testing {
namespace {

struct Outcomes {
  size_t ok = 0;
  size_t other = 0;
};

// `clients` clients at once, each asking for its own URL under /item/ on its own connection.
Outcomes concurrent_distinct_gets(uint16_t port, size_t clients) {
  std::vector<int> status(clients, 0);
  std::latch start(static_cast<std::ptrdiff_t>(clients));
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (size_t i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      status[i] = http_get(port, "/item/" + std::to_string(i), {}, 20000ms).status;
    });
  }
  for (std::thread& t : threads) t.join();
  Outcomes o;
  for (int s : status) (s == 200 ? o.ok : o.other) += 1;
  return o;
}

}  // namespace

TEST_CASE("with max_connections: 8 a fragile origin never sees a 9th request at once, and 200 "
          "concurrent clients for distinct URLs all get 200") {
  ScriptedOrigin origin;
  FragileOrigin fragile(8, 30ms);
  origin.route("/item/*", fragile.handler());
  ProxySettings s;
  s.workers = "2";  // the limit holds across workers
  s.upstream = "max_connections: 8, queue: { size: 1000, timeout: 15s }";
  Proxy proxy(origin, s);

  Outcomes o = concurrent_distinct_gets(proxy.port(), 200);
  CHECK(o.ok == 200);
  CHECK(o.other == 0);
  CHECK(fragile.failed() == 0);
  CHECK(fragile.served() == 200);
  CHECK(fragile.peak() <= 8);
}

TEST_CASE("without max_connections the same 200 clients overload the fragile origin") {
  // The control for the test above: the origin really does fail under this load.
  ScriptedOrigin origin;
  FragileOrigin fragile(8, 30ms);
  origin.route("/item/*", fragile.handler());
  ProxySettings s;
  s.workers = "2";
  Proxy proxy(origin, s);

  Outcomes o = concurrent_distinct_gets(proxy.port(), 200);
  CHECK(fragile.peak() > 8);
  CHECK(fragile.failed() > 0);
  CHECK(o.other == fragile.failed());
}

TEST_CASE("a request that finds the upstream queue full is answered 503 with Retry-After at "
          "once, and the queued one is served") {
  ScriptedOrigin origin;
  origin.route("/slow/*", script::delayed(800ms, script::respond(200, {}, "slow")));
  ProxySettings s;
  s.upstream = "max_connections: 1, queue: { size: 1, timeout: 5s }";
  Proxy proxy(origin, s);

  int first = 0;
  int second = 0;
  std::thread a([&] { first = http_get(proxy.port(), "/slow/a").status; });
  REQUIRE(origin.wait_for_requests(1, 2000ms));  // a holds the one slot
  std::thread b([&] { second = http_get(proxy.port(), "/slow/b").status; });
  std::this_thread::sleep_for(200ms);  // b takes the one place in the queue

  auto started = std::chrono::steady_clock::now();
  HttpResponse c = http_get(proxy.port(), "/slow/c");
  long waited = elapsed_ms(started);
  a.join();
  b.join();

  CHECK(c.status == 503);
  CHECK(c.headers.get("Retry-After") == "5");
  CHECK(c.body == "503 Service Unavailable: the origin is at max_connections and the queue is "
                  "full\n");
  CHECK(waited < 500);  // answered at once, not after a wait
  CHECK(first == 200);
  CHECK(second == 200);
  CHECK(origin.request_count("/slow/c") == 0);
  CHECK(origin.request_count() == 2);
}

TEST_CASE("a request queued longer than upstream.queue.timeout is answered 503 with "
          "Retry-After") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(1500ms, script::respond(200, {}, "slow")));
  origin.route("/other", script::respond(200, {}, "other"));
  ProxySettings s;
  s.upstream = "max_connections: 1, queue: { size: 10, timeout: 300ms }";
  Proxy proxy(origin, s);

  int first = 0;
  std::thread a([&] { first = http_get(proxy.port(), "/slow").status; });
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  auto started = std::chrono::steady_clock::now();
  HttpResponse r = http_get(proxy.port(), "/other");
  long waited = elapsed_ms(started);
  a.join();

  CHECK(r.status == 503);
  CHECK(r.headers.get("Retry-After") == "1");
  CHECK(r.body.find("upstream.queue.timeout") != std::string::npos);
  CHECK(waited >= 250);
  CHECK(waited < 1200);
  CHECK(first == 200);
  CHECK(origin.request_count("/other") == 0);
}

TEST_CASE("cache hits are served at once while every upstream slot is taken") {
  ScriptedOrigin origin;
  origin.route("/doc", script::respond(200, {{"Cache-Control", "max-age=60"}}, "document"));
  origin.route("/slow", script::delayed(1500ms, script::respond(200, {{"Cache-Control", "no-store"}}, "slow")));
  ProxySettings s;
  s.defaults = "cache: store";
  s.upstream = "max_connections: 1, queue: { size: 10, timeout: 5s }";
  Proxy proxy(origin, s);

  REQUIRE(http_get(proxy.port(), "/doc").status == 200);
  std::thread a([&] { http_get(proxy.port(), "/slow"); });
  REQUIRE(origin.wait_for_requests("/slow", 1, 2000ms));
  auto started = std::chrono::steady_clock::now();
  HttpResponse hit = http_get(proxy.port(), "/doc");
  long waited = elapsed_ms(started);
  a.join();

  CHECK(hit.status == 200);
  CHECK(hit.headers.get("X-Cache") == "HIT");
  CHECK(waited < 500);
}

TEST_CASE("a request over max_connections with nowhere to wait gets the stale entry where "
          "stale_if_error allows it") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {{"ETag", "\"v1\""}}, "document"));
  origin.route("/slow", script::delayed(2000ms, script::respond(200, {{"Cache-Control", "no-store"}}, "slow")));
  ProxySettings s;
  s.defaults = "cache: store";
  s.upstream = "max_connections: 1, queue: { size: 0, timeout: 5s }";
  s.extra = "rules:\n  - { match: { prefix: /api/ }, ttl: 1s, stale_if_error: 60s }";
  Proxy proxy(origin, s);

  REQUIRE(http_get(proxy.port(), "/api/doc").status == 200);
  std::this_thread::sleep_for(1100ms);  // the entry is stale now
  std::thread a([&] { http_get(proxy.port(), "/slow"); });
  REQUIRE(origin.wait_for_requests("/slow", 1, 2000ms));
  HttpResponse r = http_get(proxy.port(), "/api/doc");
  HttpResponse other = http_get(proxy.port(), "/api/none");
  a.join();

  CHECK(r.status == 200);
  CHECK(r.headers.get("X-Cache") == "STALE");
  CHECK(r.body == "document");
  CHECK(origin.request_count("/api/doc") == 1);
  // Without a stale entry to fall back on, the same situation is a 503.
  CHECK(other.status == 503);
  CHECK(!other.headers.get("Retry-After").empty());
}

TEST_CASE("a client that resets its connection while queued gives its place up, and the next "
          "request gets the slot") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(600ms, script::respond(200, {}, "slow")));
  origin.route("/next", script::respond(200, {}, "next"));
  ProxySettings s;
  s.upstream = "max_connections: 1, queue: { size: 1, timeout: 5s }";
  Proxy proxy(origin, s);

  std::thread a([&] { http_get(proxy.port(), "/slow"); });
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  {
    HttpClient leaving = proxy.client();
    leaving.send_request("GET", "/gone");
    std::this_thread::sleep_for(150ms);  // queued
    // A reset, not a FIN: etagd answers a half-closed connection's request (`nc -N`).
    leaving.reset();
  }
  std::this_thread::sleep_for(150ms);
  HttpResponse next = http_get(proxy.port(), "/next");  // the one queue place is free again
  a.join();

  CHECK(next.status == 200);
  CHECK(next.body == "next");
  CHECK(origin.request_count("/gone") == 0);
}

}  // namespace etagd::testing
