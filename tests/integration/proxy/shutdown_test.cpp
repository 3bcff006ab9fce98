// Shutdown: SIGTERM and SIGINT stop accepting, let in-flight exchanges
// finish, close idle connections, and exit 0 within the shutdown timeout.
#include <doctest/doctest.h>
#include <signal.h>

#include <string>
#include <thread>

#include "support/proxy_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

// Waits for etagd to exit and expects a clean exit no later than `within` after `since`.
void expect_clean_exit(Proxy& proxy, std::chrono::steady_clock::time_point since, long within_ms) {
  auto exit = proxy.process().wait_exit(std::chrono::milliseconds(within_ms + 3000));
  long took = elapsed_ms(since);
  REQUIRE_MESSAGE(exit.has_value(), "etagd still runs; log:\n", proxy.log());
  CHECK_MESSAGE(exit->success(), exit->describe(), "\nlog:\n", proxy.log());
  CHECK_MESSAGE(took < within_ms, "etagd took ", took, " ms to exit");
}

void drain_with_request_in_flight(int sig) {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(800ms, script::respond(200, {}, "finished anyway")));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_request("GET", "/slow");
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  auto start = std::chrono::steady_clock::now();
  proxy.process().signal(sig);

  // No new connections while draining: the listening sockets are closed.
  bool refused = false;
  for (int i = 0; i < 50 && !refused; ++i) {
    refused = !accepts_connections("127.0.0.1", proxy.port(), 100ms);
    if (!refused) std::this_thread::sleep_for(10ms);
  }
  CHECK(refused);
  CHECK(proxy.process().running());  // still finishing the request

  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == "finished anyway");
  CHECK(r.complete);
  CHECK(r.headers.has_token("Connection", "close"));  // tells the client not to reuse it
  CHECK(c.wait_closed(2000ms));
  c.close();  // as a client does once it sees the server close
  expect_clean_exit(proxy, start, 2000);
}

}  // namespace

TEST_CASE("SIGTERM closes an idle keep-alive connection and exits 0 promptly") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  CHECK(c.get("/before").status == 200);
  auto start = std::chrono::steady_clock::now();
  proxy.process().signal(SIGTERM);
  CHECK(c.wait_closed(2000ms));
  CHECK(c.read_some(10ms).empty());
  expect_clean_exit(proxy, start, 1000);
}

TEST_CASE("SIGTERM lets a request in flight finish, refuses new connections, then exits 0") {
  drain_with_request_in_flight(SIGTERM);
}

TEST_CASE("SIGINT drains like SIGTERM") {
  drain_with_request_in_flight(SIGINT);
}

TEST_CASE("SIGTERM lets a response body that is still streaming finish") {
  ScriptedOrigin origin;
  origin.route("/drip", script::drip_body(200, "abcdefghij", 60ms));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_request("GET", "/drip");
  std::string received = c.read_some(2000ms);  // the head and the first bytes are out
  CHECK_FALSE(received.empty());
  auto start = std::chrono::steady_clock::now();
  proxy.process().signal(SIGTERM);
  received += c.read_until_closed();
  c.close();
  CHECK(received.find("\r\n\r\nabcdefghij") != std::string::npos);
  expect_clean_exit(proxy, start, 2000);
}

TEST_CASE("the shutdown timeout bounds the drain when an exchange never ends") {
  ScriptedOrigin origin;
  origin.route("/forever", script::never_answer());
  ProxySettings s;
  s.shutdown = "1s";
  Proxy proxy(origin, s);
  HttpClient c = proxy.client();
  c.send_request("GET", "/forever");
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  auto start = std::chrono::steady_clock::now();
  proxy.process().signal(SIGTERM);
  CHECK_FALSE(c.wait_closed(700ms));  // the exchange gets its time...
  CHECK(c.wait_closed(2000ms));       // ...but no more than that
  long closed_at = elapsed_ms(start);
  CHECK(closed_at >= 900);
  expect_clean_exit(proxy, start, 1500);
}

TEST_CASE("a second SIGTERM during the drain changes nothing") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(500ms, script::respond(200, {}, "done")));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_request("GET", "/slow");
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  auto start = std::chrono::steady_clock::now();
  proxy.process().signal(SIGTERM);
  std::this_thread::sleep_for(50ms);
  proxy.process().signal(SIGTERM);
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == "done");
  c.close();
  expect_clean_exit(proxy, start, 2000);
}

}  // namespace etagd::testing
