// Workers: N threads, each with its own SO_REUSEPORT listening socket and
// its own upstream connection pool.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/proxy_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

ProxySettings workers(std::string n) {
  ProxySettings s;
  s.workers = std::move(n);
  return s;
}

}  // namespace

TEST_CASE("each worker listens on its own socket bound to the same port (SO_REUSEPORT)") {
  ScriptedOrigin origin;
  Proxy two(origin, workers("2"));
  CHECK(listening_sockets(two.port()) == 2);
  Proxy three(origin, workers("3"));
  CHECK(listening_sockets(three.port()) == 3);
  Proxy one(origin, workers("1"));
  CHECK(listening_sockets(one.port()) == 1);
}

TEST_CASE("with workers: 2, many parallel connections are all answered correctly") {
  ScriptedOrigin origin;
  origin.route("/work/*", [](const OriginRequest& req, OriginReply& r) {
    r.sleep(20ms);
    r.reply(200, {}, "answer for " + req.target);
  });
  Proxy proxy(origin, workers("2"));
  constexpr int kClients = 24;
  constexpr int kRequestsEach = 5;
  std::atomic<int> correct{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      try {
        HttpClient c(proxy.port(), 10000ms);
        for (int j = 0; j < kRequestsEach; ++j) {
          std::string target = "/work/" + std::to_string(i) + "/" + std::to_string(j);
          HttpResponse r = c.get(target);
          if (r.status == 200 && r.body == "answer for " + target) ++correct;
        }
      } catch (const std::exception&) {
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(correct == kClients * kRequestsEach);
  CHECK(origin.request_count() == static_cast<size_t>(kClients * kRequestsEach));
}

TEST_CASE("each worker keeps its own upstream pool") {
  // Sequential requests on fresh connections: the kernel spreads the connections over both
  // listening sockets, and each worker then reuses its own pooled upstream connection. One
  // shared pool would need one upstream connection; one worker would too.
  ScriptedOrigin origin;
  Proxy proxy(origin, workers("2"));
  for (int i = 0; i < 40; ++i) CHECK(http_get(proxy.port(), "/seq").status == 200);
  CHECK(origin.connection_count() == 2);
}

}  // namespace etagd::testing
