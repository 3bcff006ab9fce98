// Upstream faults, beyond the foundation's upstream_side_test.cpp: resets,
// stalls and drips while etagd buffers a body to store it, heads that grow past the limit
// without ending, an origin that goes away and comes back, and one that accepts connections
// but never answers. The affected client gets a clear 502 or 504 (or, once a streamed head is
// out, a cut connection), nothing partial is stored, other clients keep being served by the
// same single worker meanwhile, and every descriptor the fault cost is given back.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "process_probe.h"
#include "support/free_port.h"
#include "support/prometheus_text.h"
#include "support/socket_stream.h"
#include "support/proxy_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

// Store mode everywhere except under /stream/, which streams through (bypass).
ProxySettings faults_settings(std::string timeouts = "") {
  ProxySettings s;
  s.defaults = "cache: store";
  s.timeouts = std::move(timeouts);
  s.extra = "rules:\n  - { match: { prefix: /stream/ }, cache: bypass }\n";
  return s;
}

// First request: `first`; every later one: 200, cacheable, with `body`.
OriginHandler first_then_full(OriginHandler first, std::string body) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  return [=](const OriginRequest& req, OriginReply& r) {
    if ((*calls)++ == 0) {
      first(req, r);
    } else {
      r.reply(200, {{"Cache-Control", "max-age=60"}}, body);
    }
  };
}

// The head, then the body one byte at a time `every` apart, cacheable.
OriginHandler drip_cacheable(std::string body, milliseconds every) {
  return [=](const OriginRequest&, OriginReply& r) {
    r.write_head(200, {{"Cache-Control", "max-age=60"},
                       {"Content-Length", std::to_string(body.size())}});
    r.drip(body, every);
  };
}

// Times a request from a fresh client while something else is going on.
struct TimedAnswer {
  int status = 0;
  long ms = -1;
};
TimedAnswer timed_get(uint16_t port, const std::string& path) {
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = http_get(port, path);
  return {r.status, elapsed_ms(start)};
}

}  // namespace

TEST_CASE("an upstream reset mid-body: 502 while buffering, a cut stream, never a stored partial") {
  const std::string full = binary_body(30000);
  ScriptedOrigin origin;
  origin.route("/doc", first_then_full(script::reset_mid_body(200, full, 8000), full));
  origin.route("/stream/doc", script::reset_mid_body(200, full, 8000));
  Proxy proxy(origin, faults_settings());

  HttpResponse buffered = http_get(proxy.port(), "/doc");
  CHECK(buffered.status == 502);
  HttpResponse next = http_get(proxy.port(), "/doc");
  CHECK(next.status == 200);
  CHECK(next.body == full);
  CHECK(next.headers.get("X-Cache") == "MISS");
  CHECK(http_get(proxy.port(), "/doc").headers.get("X-Cache") == "HIT");

  // Streamed: the head is already out, so the client sees a body that ends early and a close.
  HttpClient c = proxy.client();
  HttpResponse streamed = c.get("/stream/doc");
  CHECK(streamed.status == 200);
  CHECK_FALSE(streamed.complete);
  CHECK(streamed.body.size() < full.size());
  CHECK(c.wait_closed(2000ms));
  CHECK(http_get(proxy.port(), "/other").status == 200);
}

TEST_CASE("a streamed body whose upstream breaks the chunk framing ends early for the client") {
  // A valid chunk, then a chunk-size line that is not hex: the head and the first chunk are
  // out when the framing breaks, so the client must see them and then a cut connection (no
  // last chunk), never an empty reply; the answer counts as truncated and as an upstream error.
  ScriptedOrigin origin;
  origin.route("/stream/bad-chunk", [](const OriginRequest&, OriginReply& r) {
    r.write_head(200, {{"Transfer-Encoding", "chunked"}});
    r.write_raw("5\r\nhello\r\nZZ\r\nworld\r\n0\r\n\r\n");
  });
  ProxySettings s = faults_settings();
  s.admin_port = free_port();
  Proxy proxy(origin, s);

  HttpClient c = proxy.client();
  HttpResponse streamed = c.get("/stream/bad-chunk");
  CHECK(streamed.status == 200);
  CHECK(streamed.body == "hello");
  CHECK_FALSE(streamed.complete);
  CHECK(c.wait_closed(2000ms));

  HttpResponse m = http_get(s.admin_port, "/metrics");
  REQUIRE(m.status == 200);
  CHECK(sample_value(m.body, R"(etagd_requests_total{method="GET",status="truncated",cache="BYPASS"})") == 1);
  CHECK_FALSE(sample_value(m.body, R"(etagd_requests_total{method="GET",status="2xx",cache="BYPASS"})"));
  CHECK(sample_value(m.body, R"(etagd_upstream_errors_total{kind="invalid_response"})") == 1);
}

TEST_CASE("a streamed body to an HTTP/1.0 client that the upstream cuts ends with a reset") {
  // Without a length or chunks the client would take a plain close for the end of the body.
  const std::string full = binary_body(30000);
  ScriptedOrigin origin;
  origin.route("/stream/cut", [full](const OriginRequest&, OriginReply& r) {
    r.write_head(200, {});
    r.write_raw(full.substr(0, 4000));
    r.reset();
  });
  Proxy proxy(origin, faults_settings());

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  SocketStream stream(fd);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(proxy.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
  REQUIRE(stream.write_all("GET /stream/cut HTTP/1.0\r\n\r\n", deadline_after(2000ms)) ==
          IoStatus::ok);
  std::string received;
  CHECK(stream.read_to_eof(1 << 20, deadline_after(5000ms), received) == IoStatus::reset);
  CHECK(received.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(received.find("Content-Length") == std::string::npos);
}

TEST_CASE("an upstream stalling mid-body while etagd buffers: 504, nothing stored, others served") {
  const std::string full = binary_body(20000);
  ScriptedOrigin origin;
  origin.route("/stall", first_then_full(
                             [&full](const OriginRequest&, OriginReply& r) {
                               r.write_head(200, {{"Cache-Control", "max-age=60"},
                                                  {"Content-Length", std::to_string(full.size())}});
                               r.write_raw(std::string_view(full).substr(0, 5000));
                               r.sleep(5000ms);
                             },
                             full));
  Proxy proxy(origin, faults_settings("upstream_read: 1500ms"));

  std::atomic<int> stalled_status{0};
  std::atomic<long> stalled_ms{-1};
  std::thread stalled([&] {
    TimedAnswer a = timed_get(proxy.port(), "/stall");
    stalled_status = a.status;
    stalled_ms = a.ms;
  });
  REQUIRE(origin.wait_for_requests("/stall", 1, 2000ms));
  // The one worker is not held by the stalled exchange.
  TimedAnswer other = timed_get(proxy.port(), "/other");
  CHECK(other.status == 200);
  CHECK(other.ms < 500);
  stalled.join();
  CHECK(stalled_status == 504);
  CHECK(stalled_ms >= 1400);
  CHECK(stalled_ms < 3000);

  HttpResponse next = http_get(proxy.port(), "/stall");
  CHECK(next.body == full);
  CHECK(next.headers.get("X-Cache") == "MISS");
  origin.stop();  // wakes the sleeping handler
}

TEST_CASE("a body dripping one byte per 100 ms keeps a short upstream_read alive and is stored") {
  // upstream_read bounds the gap between two reads, not the response: each byte resets it.
  const std::string body = "0123456789abcde";  // 1.5 s at 100 ms a byte
  ScriptedOrigin origin;
  origin.route("/drip", drip_cacheable(body, 100ms));
  Proxy proxy(origin, faults_settings("upstream_read: 300ms"));

  std::atomic<long> drip_ms{-1};
  std::string dripped;
  std::thread dripping([&] {
    auto start = std::chrono::steady_clock::now();
    HttpResponse r = http_get(proxy.port(), "/drip");
    drip_ms = elapsed_ms(start);
    dripped = r.status == 200 && r.complete ? r.body : "status " + std::to_string(r.status);
  });
  REQUIRE(origin.wait_for_requests("/drip", 1, 2000ms));
  for (int i = 0; i < 5; ++i) {
    TimedAnswer other = timed_get(proxy.port(), "/other/" + std::to_string(i));
    CHECK(other.status == 200);
    CHECK(other.ms < 500);  // the drip takes 1.5 s: a blocked worker would show
    std::this_thread::sleep_for(100ms);
  }
  dripping.join();
  CHECK(dripped == body);
  CHECK(drip_ms >= 1300);
  CHECK(drip_ms < 4000);
  HttpResponse hit = http_get(proxy.port(), "/drip");
  CHECK(hit.body == body);
  CHECK(hit.headers.get("X-Cache") == "HIT");
}

TEST_CASE("a response head dripping one byte per 30 ms keeps a short upstream_read alive") {
  ScriptedOrigin origin;
  origin.route("/slow-head", [](const OriginRequest&, OriginReply& r) {
    r.drip("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", 30ms);
  });
  Proxy proxy(origin, faults_settings("upstream_read: 300ms"));
  HttpResponse r = http_get(proxy.port(), "/slow-head");
  CHECK(r.status == 200);
  CHECK(r.body == "body");
}

TEST_CASE("an oversized response head is answered 502 at once, without waiting for its end") {
  ScriptedOrigin origin;
  auto closed = std::make_shared<std::atomic<int>>(0);
  auto endless_head = [closed](std::string head_bytes) {
    return [closed, head_bytes](const OriginRequest&, OriginReply& r) {
      r.write_raw(head_bytes);  // no empty line: the head never ends
      if (r.wait_peer_closed(5000ms)) ++*closed;
    };
  };
  origin.route("/long-field", endless_head("HTTP/1.1 200 OK\r\nX-Big: " +
                                           std::string(100 * 1024, 'x')));
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 1000; ++i) many += "X-F" + std::to_string(i) + ": v\r\n";
  origin.route("/many-fields", endless_head(many));
  Proxy proxy(origin, faults_settings("upstream_read: 10s"));
  for (const char* path : {"/long-field", "/many-fields"}) {
    CAPTURE(path);
    TimedAnswer a = timed_get(proxy.port(), path);
    CHECK(a.status == 502);
    CHECK(a.ms < 1000);
  }
  // Both upstream connections were closed by etagd, not left to the origin.
  CHECK(eventually([&] { return closed->load() == 2; }, 3000ms));
}

TEST_CASE("while the origin is down requests get a quick 502, once it is back 200, no restart") {
  ScriptedOrigin origin;
  origin.route("/doc", script::respond(200, {{"Cache-Control", "max-age=60"}}, "document"));
  Proxy proxy(origin, faults_settings());
  CHECK(http_get(proxy.port(), "/warm").status == 200);
  long baseline = settled_fds(proxy.pid());

  origin.stop();
  for (int i = 0; i < 30; ++i) {
    TimedAnswer a = timed_get(proxy.port(), "/doc");
    CHECK(a.status == 502);
    CHECK(a.ms < 1000);
  }
  // The pooled connection the origin closed is gone, and no failed connect left anything.
  CHECK(eventually([&] { return open_fds(proxy.pid()) == baseline - 1; }, 3000ms));

  origin.start();
  HttpResponse back = http_get(proxy.port(), "/doc");
  CHECK(back.status == 200);
  CHECK(back.body == "document");
  CHECK(back.headers.get("X-Cache") == "MISS");  // no 502 was stored meanwhile
  CHECK(http_get(proxy.port(), "/doc").headers.get("X-Cache") == "HIT");
  CHECK(origin.request_count("/doc") == 1);
  CHECK(eventually([&] { return open_fds(proxy.pid()) == baseline; }, 3000ms));
}

TEST_CASE("an origin that never answers: every waiting client gets 504, every descriptor freed") {
  ScriptedOrigin origin;
  origin.set_default(script::never_answer());
  Proxy proxy(origin, faults_settings("upstream_read: 500ms"));
  long baseline = settled_fds(proxy.pid());

  constexpr int kClients = 40;
  std::atomic<int> gateway_timeouts{0};
  std::vector<std::thread> clients;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      try {
        if (http_get(proxy.port(), "/hang/" + std::to_string(i)).status == 504) ++gateway_timeouts;
      } catch (const HttpError&) {
      }
    });
  }
  for (auto& t : clients) t.join();
  long took = elapsed_ms(start);
  CHECK(gateway_timeouts == kClients);
  CHECK(took < 3000);
  // etagd closed every upstream connection it gave up on, and every client connection.
  CHECK(eventually([&] { return origin.open_connections() == 0; }, 3000ms));
  CHECK(eventually([&] { return open_fds(proxy.pid()) == baseline; }, 3000ms));
  CHECK(origin.connection_count() == kClients);
}

}  // namespace etagd::testing
