// Client limits: 413 for a body over max_request_body, 431 for a head over
// max_header_bytes or max_headers, 408 for a head that trickles in (slowloris), idle
// keep-alive connections closed after client_idle, and max_connections. A refused request
// never reaches the origin, and the connection it came on is closed.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "support/eventually.h"
#include "support/proxy_harness.h"
#include "support/wire_format.h"

namespace etagd::testing {
namespace {

ProxySettings limited(std::string limits) {
  ProxySettings s;
  s.limits = std::move(limits);
  return s;
}

ProxySettings timed(std::string timeouts) {
  ProxySettings s;
  s.timeouts = std::move(timeouts);
  return s;
}

// A request on a fresh connection proves etagd still serves, and that nothing sent earlier
// reached the origin late: afterwards the origin must have seen exactly this one request.
void expect_only_sentinel_reached_origin(const ScriptedOrigin& origin, uint16_t port) {
  CHECK(http_get(port, "/sentinel").status == 200);
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  CHECK(origin.request_count() == 1);
  CHECK(origin.request_count("/sentinel") == 1);
}

}  // namespace

TEST_CASE("413 for a Content-Length over max_request_body, before the body is read") {
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_request_body: 1KiB"));
  HttpClient c = proxy.client();
  // Only the head is sent: etagd must not wait for a body it is going to refuse.
  c.send_raw("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n");
  HttpResponse r = c.read_response();
  CHECK(r.status == 413);
  CHECK(r.headers.has_token("Connection", "close"));
  CHECK(c.wait_closed(3000ms));
  expect_only_sentinel_reached_origin(origin, proxy.port());
}

TEST_CASE("413 with Expect: 100-continue is sent instead of 100 Continue") {
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_request_body: 1KiB"));
  HttpClient c = proxy.client();
  c.send_raw(
      "PUT /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2048\r\n\r\n");
  HttpClient::ReadOptions options;
  options.return_interim = true;
  HttpResponse r = c.read_response(options);
  CHECK(r.status == 413);
  expect_only_sentinel_reached_origin(origin, proxy.port());
}

TEST_CASE("413 for a chunked body that grows past max_request_body") {
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_request_body: 1KiB"));
  HttpClient c = proxy.client();
  c.send_request("POST", "/upload", {{"Transfer-Encoding", "chunked"}},
                 encode_chunked({std::string(600, 'a'), std::string(600, 'b')}));
  HttpResponse r = c.read_response();
  CHECK(r.status == 413);
  CHECK(c.wait_closed(3000ms));
  expect_only_sentinel_reached_origin(origin, proxy.port());
}

TEST_CASE("a chunked body of exactly max_request_body is accepted") {
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_request_body: 1KiB"));
  HttpClient c = proxy.client();
  c.send_request("POST", "/upload", {{"Transfer-Encoding", "chunked"}},
                 encode_chunked({std::string(512, 'a'), std::string(512, 'b')}));
  CHECK(c.read_response().status == 200);
  REQUIRE(origin.last_request());
  CHECK(origin.last_request()->body.size() == 1024);
}

TEST_CASE("431 for a request head over max_header_bytes") {
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_header_bytes: 2KiB"));
  HttpClient c = proxy.client();
  c.send_request("GET", "/big", {{"X-Big", std::string(3000, 'x')}});
  HttpResponse r = c.read_response();
  CHECK(r.status == 431);
  CHECK(c.wait_closed(3000ms));
  expect_only_sentinel_reached_origin(origin, proxy.port());
}

TEST_CASE("431 for a head over max_header_bytes that never ends") {
  // The limit must hold while the head is still arriving, not only once it is complete.
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_header_bytes: 2KiB"));
  HttpClient c = proxy.client();
  c.send_raw("GET /endless HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(8000, 'x'));
  HttpResponse r = c.read_response();
  CHECK(r.status == 431);
  expect_only_sentinel_reached_origin(origin, proxy.port());
}

TEST_CASE("a head just under max_header_bytes is accepted") {
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_header_bytes: 2KiB"));
  std::string head_start = "GET /fits HTTP/1.1\r\nHost: a\r\nX-Fill: ";
  std::string fill(2048 - head_start.size() - 4 - 100, 'f');
  HttpClient c = proxy.client();
  c.send_raw(head_start + fill + "\r\n\r\n");
  CHECK(c.read_response().status == 200);
  REQUIRE(origin.last_request());
  CHECK(origin.last_request()->headers.get("X-Fill") == fill);
}

TEST_CASE("431 for more header fields than max_headers") {
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_headers: 10"));
  HeaderFields many;
  for (int i = 0; i < 20; ++i) many.add("X-Field-" + std::to_string(i), "v");
  HttpClient c = proxy.client();
  HttpResponse r = c.request("GET", "/many", many);
  CHECK(r.status == 431);
  CHECK(c.wait_closed(3000ms));
  expect_only_sentinel_reached_origin(origin, proxy.port());
}

TEST_CASE("exactly max_headers header fields are accepted") {
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_headers: 10"));
  HeaderFields fields{{"Host", "a"}};
  for (int i = 1; i < 10; ++i) fields.add("X-Field-" + std::to_string(i), "v");
  HttpClient c = proxy.client();
  CHECK(c.request("GET", "/ten", fields).status == 200);
  REQUIRE(origin.last_request());
  CHECK(origin.last_request()->headers.get("X-Field-9") == "v");
}

TEST_CASE("408 when a head trickles in slower than client_header (slowloris)") {
  ScriptedOrigin origin;
  Proxy proxy(origin, timed("client_header: 300ms"));
  HttpClient c = proxy.client();
  auto start = std::chrono::steady_clock::now();
  c.send_raw("GET /slowloris HTTP/1.1\r\nHost: a\r\n");
  // Each byte resets nothing: the timer runs from the first byte of the head.
  std::string answer;
  for (int i = 0; i < 40 && answer.empty(); ++i) {
    try {
      c.send_raw("X-Drip-" + std::to_string(i) + ": 1\r\n");
    } catch (const HttpError&) {
      break;  // etagd closed the connection
    }
    answer = c.read_some(50ms);
  }
  long took = elapsed_ms(start);
  CHECK(answer.rfind("HTTP/1.1 408 ", 0) == 0);
  CHECK(took >= 250);
  CHECK(took < 1500);
  CHECK(c.wait_closed(3000ms));
  expect_only_sentinel_reached_origin(origin, proxy.port());
}

TEST_CASE("408 when a request body stops arriving for client_body") {
  ScriptedOrigin origin;
  Proxy proxy(origin, timed("client_body: 300ms"));
  HttpClient c = proxy.client();
  auto start = std::chrono::steady_clock::now();
  c.send_raw("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly a part");
  HttpResponse r = c.read_response();
  CHECK(r.status == 408);
  CHECK(elapsed_ms(start) < 2000);
  CHECK(c.wait_closed(3000ms));
  expect_only_sentinel_reached_origin(origin, proxy.port());
}

TEST_CASE("an idle keep-alive connection is closed after client_idle") {
  ScriptedOrigin origin;
  Proxy proxy(origin, timed("client_idle: 300ms"));
  HttpClient c = proxy.client();
  CHECK(c.get("/once").status == 200);
  auto start = std::chrono::steady_clock::now();
  CHECK(c.wait_closed(3000ms));
  long took = elapsed_ms(start);
  CHECK(took >= 200);
  CHECK(took < 1500);
  CHECK(c.read_some(10ms).empty());  // closed quietly, without an error answer
}

TEST_CASE("a keep-alive connection in use is not closed by client_idle") {
  ScriptedOrigin origin;
  Proxy proxy(origin, timed("client_idle: 300ms"));
  HttpClient c = proxy.client();
  // Six requests 100 ms apart span 600 ms: twice client_idle, never idle that long.
  for (int i = 0; i < 6; ++i) {
    CHECK(c.get("/busy").status == 200);
    std::this_thread::sleep_for(100ms);
  }
  CHECK(origin.request_count("/busy") == 6);
}

TEST_CASE("a connection that never sends a byte is closed after client_header") {
  ScriptedOrigin origin;
  Proxy proxy(origin, timed("client_header: 300ms, client_idle: 10s"));
  HttpClient c = proxy.client();
  auto start = std::chrono::steady_clock::now();
  CHECK(c.wait_closed(3000ms));
  CHECK(elapsed_ms(start) < 1500);
}

TEST_CASE("a client that stops reading its answer is dropped after client_send") {
  ScriptedOrigin origin;
  std::atomic<bool> origin_broken{false};
  origin.route("/huge", [&](const OriginRequest&, OriginReply& r) {
    std::string piece(1024 * 1024, 'h');
    r.write_head(200, {{"Content-Length", std::to_string(piece.size() * 64)}});
    for (int i = 0; i < 64 && !r.broken(); ++i) r.write_raw(piece);
    origin_broken = r.broken();
  });
  Proxy proxy(origin, timed("client_send: 500ms"));
  HttpClient c = proxy.client();
  int small = 64 * 1024;
  setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  c.send_request("GET", "/huge");
  // etagd gives up on the client, and with it on the upstream response.
  auto deadline = std::chrono::steady_clock::now() + 5000ms;
  while (!origin_broken && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK(origin_broken);
  CHECK(c.wait_closed(5000ms));
}

TEST_CASE("max_connections: a connection over the limit is answered 503 at once and closed") {
  ScriptedOrigin origin;
  Proxy proxy(origin, limited("max_connections: 1"));
  // The readiness probe's connection may still hold the one slot for a moment.
  std::optional<HttpClient> first;
  REQUIRE(eventually([&] {
    first.emplace(proxy.client());
    return first->get("/first").status == 200;
  }, 3000ms));

  // Never left waiting in the listen backlog: the answer comes at once, then the close.
  auto start = std::chrono::steady_clock::now();
  HttpClient second = proxy.client(3000ms);
  second.send_request("GET", "/second");
  HttpResponse refused = second.read_response();
  CHECK(elapsed_ms(start) < 1000);
  CHECK(refused.status == 503);
  CHECK(refused.headers.get("Connection") == "close");
  CHECK(refused.headers.contains("Retry-After"));
  CHECK(refused.body.find("too many client connections") != std::string::npos);
  CHECK(second.wait_closed(2000ms));
  CHECK(origin.request_count("/second") == 0);

  // The slot is free again once the first connection is gone.
  first->close();
  HttpResponse later{};
  CHECK(eventually([&] { return (later = http_get(proxy.port(), "/third")).status == 200; },
                   3000ms));
  CHECK(origin.request_count("/third") == 1);
}

TEST_CASE("max_connections holds for the whole process: every worker counts against one limit") {
  // With the limit split per worker, a client could land on a full worker's socket and wait
  // while another worker had room. One count for the process: 95 clients under a limit of 100
  // on two workers are all answered, and the connections beyond 100 are refused at once.
  ScriptedOrigin origin;
  ProxySettings s = limited("max_connections: 100");
  s.workers = "2";
  Proxy proxy(origin, s);
  std::vector<HttpClient> held;
  for (int i = 0; i < 95; ++i) {
    held.push_back(proxy.client(3000ms));
    CHECK(held.back().get("/held").status == 200);
  }
  int ok = 0;
  int refused = 0;
  std::vector<HttpClient> more;
  for (int i = 0; i < 10; ++i) {
    more.push_back(proxy.client(3000ms));
    int status = more.back().get("/more").status;
    ok += status == 200;
    refused += status == 503;
  }
  CHECK(ok == 5);
  CHECK(refused == 5);
}

}  // namespace etagd::testing
