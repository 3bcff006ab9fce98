// Clients that hold thousands of connections: silent ones, ones that send
// half a request head and stop, idle keep-alive ones. etagd keeps answering a fresh client
// quickly, answers each half-sent head with 408 after client_header, closes silent and idle
// connections quietly after client_header / client_idle, and then holds exactly the
// descriptors it held before. Over max_connections, or out of descriptors altogether, it
// waits for connections to free up without spinning, and serves again by itself.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <string>
#include <thread>

#include "connection_flood.h"
#include "process_probe.h"
#include "support/proxy_harness.h"

namespace etagd::testing {
namespace {

constexpr size_t kSilent = 700;
constexpr size_t kHalfSent = 700;
constexpr size_t kIdle = 600;
constexpr size_t kFlood = kSilent + kHalfSent + kIdle;

const std::string kHalfHead = "GET /half HTTP/1.1\r\nHost: a\r\nX-Pad";
const std::string kCachedRequest = "GET /cached HTTP/1.1\r\nHost: a\r\n\r\n";

// A fresh client's request, timed. Host "a", as the flood's requests: the same cache key.
long fresh_request_ms(uint16_t port, const std::string& path) {
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = http_get(port, path, {{"Host", "a"}}, 5000ms);
  CHECK(r.status == 200);
  return elapsed_ms(start);
}

}  // namespace

TEST_CASE("2000 silent, half-sent and idle connections: etagd serves, times out, frees") {
  REQUIRE_MESSAGE(raise_open_files_limit(10000) >= static_cast<long>(kFlood + 200),
                  "this test needs a hard RLIMIT_NOFILE of at least ", kFlood + 200);
  ScriptedOrigin origin;
  origin.route("/cached", [](const OriginRequest&, OriginReply& r) {
    r.reply(200, {{"Cache-Control", "max-age=60"}}, "cached body");
  });
  ProxySettings s;
  s.defaults = "cache: store";
  s.timeouts = "client_header: 1s, client_idle: 2s";
  Proxy proxy(origin, s);
  // etagd inherited the raised limit, so its descriptors are not what runs out first.
  CHECK(max_open_files(proxy.pid()) >= static_cast<long>(kFlood + 100));

  CHECK(fresh_request_ms(proxy.port(), "/cached") < 5000);  // stored; one pooled connection
  long baseline = settled_fds(proxy.pid());
  REQUIRE(baseline > 0);

  ConnectionFlood flood(proxy.port(), kFlood);
  const size_t half_from = kSilent;
  const size_t idle_from = kSilent + kHalfSent;
  flood.send(half_from, idle_from, kHalfHead);
  flood.send(idle_from, kFlood, kCachedRequest);
  CHECK(flood.pump_until(
      [&] {
        for (size_t i = idle_from; i < kFlood; ++i) {
          if (!holds_complete_response(flood[i].received)) return false;
        }
        return true;
      },
      5000ms));
  CHECK(eventually([&] { return open_fds(proxy.pid()) >= baseline + long{kFlood}; }, 3000ms));

  // With every connection held, a new client is answered at once, from the cache and not.
  long hit_ms = fresh_request_ms(proxy.port(), "/cached");
  long miss_ms = fresh_request_ms(proxy.port(), "/fresh");
  MESSAGE("while holding ", kFlood, " connections: hit ", hit_ms, " ms, miss ", miss_ms, " ms");
  CHECK(hit_ms < 1000);
  CHECK(miss_ms < 1000);

  CHECK(flood.pump_until([&] { return flood.closed_count(0, kFlood) == kFlood; }, 8000ms));
  size_t silent_quiet = 0, silent_timed = 0;
  for (size_t i = 0; i < half_from; ++i) {
    const auto& c = flood[i];
    if (!c.closed) continue;
    silent_quiet += c.received.empty();
    silent_timed += ms_between(c.opened, *c.closed) >= 800;
  }
  size_t half_408 = 0, half_timed = 0;
  for (size_t i = half_from; i < idle_from; ++i) {
    const auto& c = flood[i];
    if (!c.closed || !c.first_byte) continue;
    half_408 += c.received.rfind("HTTP/1.1 408 ", 0) == 0;
    half_timed += ms_between(*c.sent, *c.first_byte) >= 800;
  }
  size_t idle_quiet = 0, idle_timed = 0;
  for (size_t i = idle_from; i < kFlood; ++i) {
    const auto& c = flood[i];
    if (!c.closed || !c.first_byte) continue;
    // One 200 and nothing after it: an idle connection is closed without an error answer.
    idle_quiet += c.received.rfind("HTTP/1.1 200 ", 0) == 0 &&
                  c.received.find("HTTP/1.1 ", 1) == std::string::npos;
    idle_timed += ms_between(*c.first_byte, *c.closed) >= 1800;
  }
  CHECK(silent_quiet == kSilent);
  CHECK(silent_timed == kSilent);
  CHECK(half_408 == kHalfSent);
  CHECK(half_timed == kHalfSent);
  CHECK(idle_quiet == kIdle);
  CHECK(idle_timed == kIdle);

  // Everything the flood made etagd open is closed again.
  CHECK(eventually([&] { return open_fds(proxy.pid()) == baseline; }, 3000ms));
  CHECK(open_fds(proxy.pid()) == baseline);
  CHECK(origin.request_count("/half") == 0);
  CHECK(origin.request_count("/cached") == 1);
  CHECK(fresh_request_ms(proxy.port(), "/after") < 1000);
}

TEST_CASE("over max_connections, connections are refused with 503 at once, never left queued") {
  REQUIRE_MESSAGE(raise_open_files_limit(10000) >= 2000,
                  "this test needs a hard RLIMIT_NOFILE of at least 2000");
  ScriptedOrigin origin;
  ProxySettings s;
  s.workers = "2";
  s.upstream = "max_idle: 0";  // no pooled origin connections: either worker may serve /fresh
  s.limits = "max_connections: 200";
  s.timeouts = "client_header: 1s";
  Proxy proxy(origin, s);
  CHECK(http_get(proxy.port(), "/warm").status == 200);
  long baseline = settled_fds(proxy.pid());

  // 600 silent connections: etagd holds 200 (both workers together) and answers the other 400
  // with 503 and a close straight away, instead of leaving them in the listen backlog.
  long cpu_before = cpu_time_ms(proxy.pid());
  auto start = std::chrono::steady_clock::now();
  ConnectionFlood flood(proxy.port(), 600);
  CHECK(flood.pump_until([&] { return flood.closed_count(0, flood.size()) >= 400; }, 3000ms));
  size_t refused = 0;
  for (size_t i = 0; i < flood.size(); ++i) {
    if (!flood[i].closed) continue;
    CHECK(flood[i].received.rfind("HTTP/1.1 503 ", 0) == 0);
    CHECK(*flood[i].closed - flood[i].opened < 2000ms);
    ++refused;
  }
  CHECK(refused == 400);
  CHECK(open_fds(proxy.pid()) <= baseline + 200);

  // While it is full a fresh client hears so at once; once the silent ones time out after
  // client_header, it is served.
  HttpResponse full = http_get(proxy.port(), "/fresh");
  CHECK(full.status == 503);
  CHECK(flood.pump_until([&] { return flood.closed_count(0, flood.size()) == flood.size(); },
                         5000ms));
  CHECK(fresh_request_ms(proxy.port(), "/fresh") < 1000);
  long wall = elapsed_ms(start);
  long cpu = cpu_time_ms(proxy.pid()) - cpu_before;
  MESSAGE("etagd used ", cpu, " ms of CPU in ", wall, " ms while it was full");
  CHECK(cpu < wall / 2);  // refusing is cheap, and waiting for slots is not a busy loop
  CHECK(eventually([&] { return open_fds(proxy.pid()) == baseline; }, 3000ms));
}

TEST_CASE("out of file descriptors, etagd neither spins nor dies, and serves once they free up") {
  // With the level-triggered read event still armed after EMFILE, the loop would wake at once
  // and spin at 100% CPU until a descriptor frees up; etagd pauses accepting for 100 ms, as
  // nginx and libevent's evconnlistener do.
  REQUIRE_MESSAGE(raise_open_files_limit(10000) >= 2000,
                  "this test needs a hard RLIMIT_NOFILE of at least 2000");
  ScriptedOrigin origin;
  ProxySettings s;
  s.timeouts = "client_header: 10s";
  Proxy proxy(origin, s);
  CHECK(http_get(proxy.port(), "/warm").status == 200);
  long baseline = settled_fds(proxy.pid());
  REQUIRE(baseline > 0);

  // Leave etagd room for 40 more descriptors, then open 100 connections to it.
  // Only the soft limit: an unprivileged process could not raise a lowered hard limit again.
  rlimit previous{};
  REQUIRE(prlimit(proxy.pid(), RLIMIT_NOFILE, nullptr, &previous) == 0);
  rlimit tight{static_cast<rlim_t>(baseline + 40), previous.rlim_max};
  REQUIRE(prlimit(proxy.pid(), RLIMIT_NOFILE, &tight, nullptr) == 0);
  {
    ConnectionFlood flood(proxy.port(), 100);
    CHECK(eventually([&] { return open_fds(proxy.pid()) >= baseline + 40; }, 2000ms));
    long cpu_before = cpu_time_ms(proxy.pid());
    auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(1500ms);  // accept() fails with EMFILE all this time
    long wall = elapsed_ms(start);
    long cpu = cpu_time_ms(proxy.pid()) - cpu_before;
    MESSAGE("etagd used ", cpu, " ms of CPU in ", wall, " ms with its descriptors exhausted");
    CHECK(cpu < wall / 2);
    CHECK(proxy.process().running());
  }  // the flood's connections close
  REQUIRE(prlimit(proxy.pid(), RLIMIT_NOFILE, &previous, nullptr) == 0);

  HttpResponse r = http_get(proxy.port(), "/after", {}, 5000ms);
  CHECK(r.status == 200);
  CHECK(eventually([&] { return open_fds(proxy.pid()) == baseline; }, 5000ms));
}

}  // namespace etagd::testing
