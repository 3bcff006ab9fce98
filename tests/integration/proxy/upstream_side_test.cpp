// The upstream side of the proxy: the per-worker keep-alive pool, connect
// and read timeouts, the one retry of an idempotent request on a pooled connection the origin
// had closed, response framings, 1xx, HEAD, and back-pressure from a slow client.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/eventually.h"
#include "support/proxy_harness.h"
#include "support/free_port.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

ProxySettings with_upstream(std::string upstream_keys, std::string timeouts = "") {
  ProxySettings s;
  s.upstream = std::move(upstream_keys);
  s.timeouts = std::move(timeouts);
  return s;
}

ProxySettings with_timeouts(std::string timeouts) {
  return with_upstream("", std::move(timeouts));
}

// An error answer's body is one line: "502 Bad Gateway: <reason>\n".
void check_one_line_reason(const HttpResponse& r, int status, std::string_view reason_part) {
  CHECK(r.status == status);
  CHECK(r.body.rfind(std::to_string(status) + " ", 0) == 0);
  CHECK(r.body.find(reason_part) != std::string::npos);
  CHECK(std::count(r.body.begin(), r.body.end(), '\n') == 1);
  CHECK(r.body.back() == '\n');
}

// A TCP port where a connect neither succeeds nor fails: a listening socket with a backlog of
// zero that never accepts, its queue filled by connections of our own. Linux drops further
// SYNs while the accept queue is full, so a new connect stays in SYN-SENT until it gives up.
class UnansweredPort {
 public:
  UnansweredPort() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 0) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("UnansweredPort: cannot listen");
    }
    port_ = ntohs(a.sin_port);
    for (int i = 0; i < 4; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers_.push_back(fd);
    }
    std::this_thread::sleep_for(50ms);  // let the handshakes that can complete, complete
  }
  ~UnansweredPort() {
    for (int fd : fillers_) ::close(fd);
    ::close(listen_fd_);
  }
  UnansweredPort(const UnansweredPort&) = delete;
  UnansweredPort& operator=(const UnansweredPort&) = delete;

  uint16_t port() const {
    return port_;
  }

 private:
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::vector<int> fillers_;
};

// Serves the first request of the origin's first connection; closes every other connection
// without answering (FIN after reading the request).
OriginHandler answer_first_only() {
  return [](const OriginRequest& req, OriginReply& r) {
    if (req.connection_id == 1 && req.index_on_connection == 0) {
      r.reply(200, {}, "first");
    } else {
      r.close();
    }
  };
}

}  // namespace

TEST_CASE("requests from different clients reuse one pooled upstream connection") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  for (int i = 0; i < 5; ++i) {
    CHECK(http_get(proxy.port(), "/pooled/" + std::to_string(i)).status == 200);
  }
  std::vector<OriginRequest> seen = origin.requests();
  REQUIRE(seen.size() == 5);
  for (size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].connection_id == seen[0].connection_id);
    CHECK(seen[i].index_on_connection == i);
  }
  CHECK(origin.connection_count() == 1);
}

TEST_CASE("the pool keeps at most max_idle idle connections") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(300ms, script::respond(200, {}, "slow")));
  Proxy proxy(origin, with_upstream("max_idle: 1"));
  // Three requests at once need three upstream connections.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&] {
      try {
        if (http_get(proxy.port(), "/slow").status == 200) ++ok;
      } catch (const std::exception&) {
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(ok == 3);
  CHECK(origin.connection_count() == 3);
  // Two of them are closed once idle; the third is kept and serves what comes next.
  CHECK(eventually([&] { return origin.open_connections() == 1; }, 2000ms));
  for (int i = 0; i < 3; ++i) CHECK(http_get(proxy.port(), "/after").status == 200);
  CHECK(origin.connection_count() == 3);
}

TEST_CASE("max_idle: 0 closes every upstream connection after its response") {
  ScriptedOrigin origin;
  Proxy proxy(origin, with_upstream("max_idle: 0"));
  for (int i = 0; i < 3; ++i) CHECK(http_get(proxy.port(), "/unpooled").status == 200);
  CHECK(origin.connection_count() == 3);
  CHECK(eventually([&] { return origin.open_connections() == 0; }, 2000ms));
}

TEST_CASE("an idle pooled connection is closed after upstream.idle_timeout") {
  ScriptedOrigin origin;
  Proxy proxy(origin, with_upstream("idle_timeout: 300ms"));
  CHECK(http_get(proxy.port(), "/once").status == 200);
  auto start = std::chrono::steady_clock::now();
  CHECK(origin.open_connections() == 1);
  CHECK(eventually([&] { return origin.open_connections() == 0; }, 3000ms));
  long took = elapsed_ms(start);
  CHECK(took >= 200);
  CHECK(took < 2000);
  CHECK(http_get(proxy.port(), "/again").status == 200);
  CHECK(origin.connection_count() == 2);
}

TEST_CASE("after the origin drops its idle connections the next requests still succeed") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  CHECK(http_get(proxy.port(), "/warm").status == 200);
  CHECK(eventually([&] { return origin.drop_idle_connections() == 1; }, 2000ms));
  CHECK(http_get(proxy.port(), "/get-after-drop").status == 200);
  CHECK(eventually([&] { return origin.open_connections() == 1; }, 2000ms));
  CHECK(eventually([&] { return origin.drop_idle_connections() == 1; }, 2000ms));
  std::this_thread::sleep_for(100ms);  // etagd sees the FIN on its idle connection
  CHECK(http_request(proxy.port(), "POST", "/post-after-drop", {}, "x").status == 200);
}

TEST_CASE("a GET on a pooled connection the origin closes unanswered is retried once, fresh") {
  ScriptedOrigin origin;
  origin.route("/retry", [](const OriginRequest& req, OriginReply& r) {
    if (req.index_on_connection == 0) {
      r.reply(200, {}, "fresh connection " + std::to_string(req.connection_id));
    } else {
      r.close();  // an origin that had timed the connection out just as etagd reused it
    }
  });
  Proxy proxy(origin);
  CHECK(http_get(proxy.port(), "/retry").body == "fresh connection 1");
  HttpResponse r = http_get(proxy.port(), "/retry");
  CHECK(r.status == 200);
  CHECK(r.body == "fresh connection 2");
  std::vector<OriginRequest> seen = origin.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[1].connection_id == 1);  // the reused connection, closed unanswered
  CHECK(seen[2].connection_id == 2);  // the retry
}

TEST_CASE("an idempotent PUT is retried with its whole body") {
  ScriptedOrigin origin;
  origin.route("/put", [](const OriginRequest& req, OriginReply& r) {
    if (req.index_on_connection == 0) {
      r.reply(200, {}, req.body);
    } else {
      r.close();
    }
  });
  Proxy proxy(origin);
  CHECK(http_request(proxy.port(), "PUT", "/put", {}, "first").status == 200);
  std::string body = binary_body(100000);
  HttpResponse r = http_request(proxy.port(), "PUT", "/put", {}, body);
  CHECK(r.status == 200);
  CHECK(r.body == body);
  std::vector<OriginRequest> seen = origin.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[2].body == body);
  CHECK(seen[2].connection_id == 2);
}

TEST_CASE("a GET on a pooled connection the origin resets unanswered is retried too") {
  ScriptedOrigin origin;
  origin.route("/reset", [](const OriginRequest& req, OriginReply& r) {
    if (req.index_on_connection == 0) {
      r.reply(200, {}, "ok");
    } else {
      r.reset();
    }
  });
  Proxy proxy(origin);
  CHECK(http_get(proxy.port(), "/reset").status == 200);
  HttpResponse r = http_get(proxy.port(), "/reset");
  CHECK(r.status == 200);
  CHECK(r.body == "ok");
  CHECK(origin.request_count("/reset") == 3);
}

TEST_CASE("a POST on a pooled connection the origin closes unanswered is not retried: 502") {
  ScriptedOrigin origin;
  origin.route("/submit", answer_first_only());
  Proxy proxy(origin);
  CHECK(http_request(proxy.port(), "POST", "/submit", {}, "one").status == 200);
  HttpResponse r = http_request(proxy.port(), "POST", "/submit", {}, "two");
  check_one_line_reason(r, 502, "upstream");
  std::this_thread::sleep_for(100ms);
  CHECK(origin.request_count("/submit") == 2);
}

TEST_CASE("the retry happens once: a fresh connection closed unanswered too gives 502") {
  ScriptedOrigin origin;
  origin.route("/flaky", answer_first_only());
  Proxy proxy(origin);
  CHECK(http_get(proxy.port(), "/flaky").status == 200);
  HttpResponse r = http_get(proxy.port(), "/flaky");
  check_one_line_reason(r, 502, "upstream");
  std::this_thread::sleep_for(100ms);
  CHECK(origin.request_count("/flaky") == 3);
  CHECK(origin.connection_count() == 2);
}

TEST_CASE("a fresh connection closed before any answer is not retried: 502") {
  ScriptedOrigin origin;
  origin.route("/hangup", script::close_without_reply());
  Proxy proxy(origin);
  HttpResponse r = http_get(proxy.port(), "/hangup");
  check_one_line_reason(r, 502, "upstream");
  std::this_thread::sleep_for(100ms);
  CHECK(origin.request_count("/hangup") == 1);
}

TEST_CASE("connection refused upstream: 502 with a one-line reason, the client connection kept") {
  uint16_t nobody = free_port();
  Proxy proxy(nobody, ProxySettings{});
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/anything");
  check_one_line_reason(r, 502, "upstream");
  CHECK(r.body.find("connection failed") != std::string::npos);  // not "send failed"
  // Like every proxied answer, it says how it was served; being etagd's own, it has no Age.
  CHECK((r.headers.get("X-Cache") == "MISS" || r.headers.get("X-Cache") == "BYPASS"));
  CHECK_FALSE(r.headers.contains("Age"));
  CHECK(r.headers.get("Content-Type").rfind("text/plain", 0) == 0);
  CHECK(r.keeps_alive());
  CHECK(c.get("/again").status == 502);
  HttpResponse head = c.request("HEAD", "/head");
  CHECK(head.status == 502);
  CHECK(head.body.empty());
}

TEST_CASE("the pool recovers when the origin goes away and comes back") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  CHECK(http_get(proxy.port(), "/before").status == 200);
  origin.stop();
  CHECK(http_get(proxy.port(), "/during").status == 502);
  origin.start();
  CHECK(http_get(proxy.port(), "/after").status == 200);
}

TEST_CASE("an upstream that does not accept the connection in time: 504 after upstream_connect") {
  UnansweredPort blackhole;
  ProxySettings s = with_timeouts("upstream_connect: 300ms, upstream_read: 10s");
  Proxy proxy(blackhole.port(), s);
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = http_get(proxy.port(), "/unreachable");
  long took = elapsed_ms(start);
  check_one_line_reason(r, 504, "connect");
  CHECK(took >= 250);
  CHECK(took < 3000);
}

TEST_CASE("an upstream slower than upstream_read: 504 with a one-line reason") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(5000ms, script::respond(200, {}, "too late")));
  Proxy proxy(origin, with_timeouts("upstream_read: 300ms"));
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = http_get(proxy.port(), "/slow");
  long took = elapsed_ms(start);
  check_one_line_reason(r, 504, "read timeout");
  CHECK(took >= 250);
  CHECK(took < 2000);
  origin.stop();  // wakes the sleeping handler
}

TEST_CASE("etagd's own 502 and 504 carry Via, as the answers it relays do") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(5000ms, script::respond(200, {}, "too late")));
  Proxy proxy(origin, with_timeouts("upstream_read: 300ms"));
  HttpResponse relayed = http_get(proxy.port(), "/plain");
  CHECK(relayed.headers.get("Via") == "1.1 etagd");
  HttpResponse timeout = http_get(proxy.port(), "/slow");
  CHECK(timeout.status == 504);
  CHECK(timeout.headers.get("Via") == "1.1 etagd");
  origin.stop();  // wakes the sleeping handler
  HttpResponse refused = http_get(proxy.port(), "/plain");
  CHECK(refused.status == 502);
  CHECK(refused.headers.get("Via") == "1.1 etagd");
}

TEST_CASE("upstream_read bounds the gap between reads, not the whole response") {
  ScriptedOrigin origin;
  // Ten bytes 100 ms apart: one second in all, never 300 ms without a byte.
  origin.route("/drip", script::drip_body(200, "0123456789", 100ms));
  Proxy proxy(origin, with_timeouts("upstream_read: 300ms"));
  HttpResponse r = http_get(proxy.port(), "/drip");
  CHECK(r.status == 200);
  CHECK(r.body == "0123456789");
  CHECK(r.complete);
}

TEST_CASE("an upstream stalling mid-body past upstream_read cuts the client's response short") {
  ScriptedOrigin origin;
  origin.route("/stall", script::drip_body(200, "0123456789", 1000ms));
  Proxy proxy(origin, with_timeouts("upstream_read: 300ms"));
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/stall");
  CHECK(r.status == 200);   // the head was already on its way
  CHECK_FALSE(r.complete);  // and the client can tell the body is not whole
  CHECK(r.body.size() < 10);
  CHECK(c.wait_closed(2000ms));
  origin.stop();
}

TEST_CASE("a Content-Length response body arrives intact") {
  ScriptedOrigin origin;
  std::string body = binary_body(1024 * 1024 + 7);
  origin.route("/blob", script::respond(200, {{"Content-Type", "application/octet-stream"}}, body));
  Proxy proxy(origin);
  HttpResponse r = http_get(proxy.port(), "/blob");
  CHECK(r.status == 200);
  CHECK(r.framing == BodyFraming::length);
  CHECK(r.headers.get("Content-Length") == std::to_string(body.size()));
  CHECK(r.body == body);
}

TEST_CASE("a chunked response body arrives intact") {
  ScriptedOrigin origin;
  std::vector<std::string> chunks = {binary_body(10), binary_body(70000), "tail"};
  origin.route("/chunks", script::respond_chunked(200, {}, chunks, 20ms));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/chunks");
  CHECK(r.status == 200);
  CHECK(r.body == chunks[0] + chunks[1] + chunks[2]);
  CHECK(r.complete);
  CHECK(c.get("/next").status == 200);  // the connection survived the chunked answer
}

TEST_CASE("a chunked response with trailer fields ends exactly where it should") {
  // A decoder that stopped before the trailer section would leave its bytes in the pooled
  // connection, to be read as the start of the next response.
  ScriptedOrigin origin;
  origin.route("/trailers", [](const OriginRequest&, OriginReply& r) {
    r.reply_chunked(200, {{"Trailer", "X-Checksum"}}, {"body ", "with trailers"},
                    {{"X-Checksum", "abc123"}, {"X-Other", "1"}});
  });
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/trailers");
  CHECK(r.status == 200);
  CHECK(r.body == "body with trailers");
  CHECK(r.complete);
  HttpResponse next = c.get("/next");
  CHECK(next.body == "{\"method\":\"GET\",\"target\":\"/next\"}");
  CHECK(origin.connection_count() == 1);
}

TEST_CASE("a status line without a reason phrase is accepted") {
  ScriptedOrigin origin;
  origin.route("/terse", [](const OriginRequest&, OriginReply& r) {
    r.write_raw("HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok");
  });
  Proxy proxy(origin);
  HttpResponse r = http_get(proxy.port(), "/terse");
  CHECK(r.status == 200);
  CHECK(r.body == "ok");
}

TEST_CASE("a close-delimited response reaches an HTTP/1.1 client chunked, connection kept") {
  ScriptedOrigin origin;
  std::string body = binary_body(200000);
  origin.route("/until-close", script::close_delimited(200, {}, body));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/until-close");
  CHECK(r.status == 200);
  CHECK(r.framing == BodyFraming::chunked);
  CHECK(r.body == body);
  CHECK(r.complete);
  CHECK(c.get("/next").status == 200);
  // The upstream connection that ended the body cannot be reused.
  CHECK(origin.connection_count() == 2);
}

TEST_CASE("a response body cut short by the upstream is not passed off as complete") {
  ScriptedOrigin origin;
  origin.route("/cut", script::close_mid_body(200, std::string(10000, 'c'), 3000));
  origin.route("/cut-chunked", [](const OriginRequest&, OriginReply& r) {
    r.write_head(200, {{"Transfer-Encoding", "chunked"}});
    r.write_raw("5\r\nhello\r\n");
    r.close();
  });
  Proxy proxy(origin);
  HttpResponse cut = http_get(proxy.port(), "/cut");
  CHECK(cut.status == 200);
  CHECK_FALSE(cut.complete);
  CHECK(cut.body.size() <= 3000);
  HttpResponse chunked = http_get(proxy.port(), "/cut-chunked");
  CHECK(chunked.status == 200);
  CHECK_FALSE(chunked.complete);
}

TEST_CASE("bytes after a response's declared length never reach the next response") {
  ScriptedOrigin origin;
  origin.route("/overlong", [](const OriginRequest&, OriginReply& r) {
    r.write_raw(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n"
        "Content-Length: 8\r\n\r\nsmuggled");
  });
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse first = c.get("/overlong");
  CHECK(first.body == "hello");
  HttpResponse second = c.get("/clean");
  CHECK(second.status == 200);
  CHECK(second.body == "{\"method\":\"GET\",\"target\":\"/clean\"}");
}

TEST_CASE("an upstream answer with Connection: close is not followed by a reused connection") {
  ScriptedOrigin origin;
  origin.route("/closing", [](const OriginRequest&, OriginReply& r) {
    r.keep_alive(false);  // reply() adds Connection: close, then the origin closes
    r.reply(200, {}, "bye");
  });
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse first = c.get("/closing");
  CHECK(first.body == "bye");
  CHECK(first.keeps_alive());  // the upstream's close concerns etagd, not the client
  CHECK(c.get("/next").status == 200);
  CHECK(origin.connection_count() == 2);
  std::vector<OriginRequest> seen = origin.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].index_on_connection == 0);
}

TEST_CASE("an HTTP/1.0 upstream response is relayed and its connection not reused") {
  ScriptedOrigin origin;
  origin.route("/old", [](const OriginRequest&, OriginReply& r) {
    r.write_raw("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold");
    r.wait_peer_closed(2000ms);  // an HTTP/1.0 server would close; this one waits for etagd
  });
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/old");
  CHECK(r.status == 200);
  CHECK(r.body == "old");
  CHECK(c.get("/new").status == 200);
  CHECK(origin.connection_count() == 2);
}

TEST_CASE("an upstream that answers before reading the whole request body is relayed") {
  ScriptedOrigin::Options options;
  options.max_body_bytes = 1000;  // larger bodies: 413 and close, the rest left unread
  ScriptedOrigin origin(options);
  Proxy proxy(origin);
  HttpResponse r = http_request(proxy.port(), "POST", "/upload", {}, std::string(900 * 1024, 'u'));
  CHECK(r.status == 413);
  CHECK(http_get(proxy.port(), "/after").status == 200);
}

TEST_CASE("a client that aborts its connection makes etagd drop its upstream request") {
  // An abort (RST), not a FIN: etagd reads a FIN as a half-close and still answers.
  ScriptedOrigin origin;
  std::atomic<bool> peer_closed{false};
  origin.route("/wait", [&](const OriginRequest&, OriginReply& r) {
    if (r.wait_peer_closed(5000ms)) peer_closed = true;
  });
  Proxy proxy(origin);
  {
    HttpClient c = proxy.client();
    c.send_request("GET", "/wait");
    REQUIRE(origin.wait_for_requests(1, 2000ms));
    c.reset();
  }
  CHECK(eventually([&] { return peer_closed.load(); }, 3000ms));
  CHECK(http_get(proxy.port(), "/after").status == 200);
}

TEST_CASE("a client that goes away mid-body leaves the pool and etagd healthy") {
  ScriptedOrigin origin;
  std::atomic<bool> origin_broken{false};
  origin.route("/long", [&](const OriginRequest&, OriginReply& r) {
    std::string piece(64 * 1024, 'l');
    r.write_head(200, {{"Content-Length", std::to_string(piece.size() * 200)}});
    for (int i = 0; i < 200 && !r.broken(); ++i) {
      r.write_raw(piece);
      r.sleep(5ms);
    }
    origin_broken = r.broken();
  });
  Proxy proxy(origin);
  {
    HttpClient c = proxy.client();
    c.send_request("GET", "/long");
    CHECK_FALSE(c.read_some(2000ms).empty());
    c.reset();
  }
  // The half-sent response cannot be finished on that upstream connection: it is closed.
  CHECK(eventually([&] { return origin_broken.load(); }, 5000ms));
  HttpResponse r = http_get(proxy.port(), "/after");
  CHECK(r.status == 200);
  CHECK(r.body == "{\"method\":\"GET\",\"target\":\"/after\"}");
}

TEST_CASE("1xx interim responses from upstream are not taken for the final answer") {
  ScriptedOrigin origin;
  origin.route("/continue", script::interim_then_final(100, 200, {}, "final"));
  origin.route("/hints", [](const OriginRequest&, OriginReply& r) {
    r.interim(103, {{"Link", "</style.css>; rel=preload"}});
    r.interim(102);
    r.reply(201, {}, "created");
  });
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse a = c.get("/continue");
  CHECK(a.status == 200);
  CHECK(a.body == "final");
  HttpResponse b = c.get("/hints");
  CHECK(b.status == 201);
  CHECK(b.body == "created");
  for (const InterimResponse& i : b.interim) CHECK(i.status < 200);
}

TEST_CASE("a 101 Switching Protocols nobody asked for is refused with 502") {
  ScriptedOrigin origin;
  origin.route("/switch", [](const OriginRequest&, OriginReply& r) {
    r.write_head(101, {{"Upgrade", "websocket"}, {"Connection", "upgrade"}});
    r.close();
  });
  Proxy proxy(origin);
  CHECK(http_get(proxy.port(), "/switch").status == 502);
}

TEST_CASE("a HEAD response never waits for the body its Content-Length announces") {
  ScriptedOrigin origin;
  // For HEAD, reply() sends Content-Length: 1000 and no body.
  origin.route("/doc", script::respond(200, {}, std::string(1000, 'd')));
  Proxy proxy(origin, with_timeouts("upstream_read: 5s"));
  HttpClient c = proxy.client();
  auto start = std::chrono::steady_clock::now();
  HttpResponse head = c.request("HEAD", "/doc");
  CHECK(elapsed_ms(start) < 1000);
  CHECK(head.status == 200);
  CHECK(head.headers.get("Content-Length") == "1000");
  // The same upstream connection then carries a GET, whose body is read properly.
  HttpResponse get = c.get("/doc");
  CHECK(get.body == std::string(1000, 'd'));
  CHECK(origin.connection_count() == 1);
}

TEST_CASE("a body an upstream wrongly sends after a HEAD response never reaches a client") {
  ScriptedOrigin origin;
  origin.route("/rude", [](const OriginRequest& req, OriginReply& r) {
    if (req.method == "HEAD") {
      r.write_raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");  // 5 bytes too many
    } else {
      r.reply(200, {}, "hello");
    }
  });
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse head = c.request("HEAD", "/rude");
  CHECK(head.status == 200);
  CHECK(head.headers.get("Content-Length") == "5");
  HttpResponse get = c.get("/next");
  CHECK(get.status == 200);
  CHECK(get.body == "{\"method\":\"GET\",\"target\":\"/next\"}");
  CHECK(c.read_some(50ms).empty());
}

TEST_CASE("204 and 304 from upstream are answered without a body") {
  ScriptedOrigin origin;
  origin.route("/gone", script::respond(204, {}));
  origin.route("/same", script::respond(304, {{"ETag", "\"v1\""}}));
  Proxy proxy(origin, with_timeouts("upstream_read: 5s"));
  HttpClient c = proxy.client();
  auto start = std::chrono::steady_clock::now();
  CHECK(c.get("/gone").status == 204);
  HttpResponse same = c.get("/same", {{"If-None-Match", "\"v1\""}});
  CHECK(same.status == 304);
  CHECK(same.headers.get("ETag") == "\"v1\"");
  CHECK(elapsed_ms(start) < 1000);
  CHECK(c.get("/next").status == 200);
}

TEST_CASE("an invalid upstream response is answered 502") {
  ScriptedOrigin origin;
  origin.route("/garbage", script::garbage());
  origin.route("/huge-head", script::oversized_head(100 * 1024));
  origin.route("/bad-chunks", [](const OriginRequest&, OriginReply& r) {
    r.write_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    r.close();
  });
  origin.route("/folded", [](const OriginRequest&, OriginReply& r) {
    r.write_raw("HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\nok");
    r.close();
  });
  origin.route("/cl-and-te", [](const OriginRequest&, OriginReply& r) {
    r.write_raw(
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n0\r\n\r\n");
    r.close();
  });
  Proxy proxy(origin);
  check_one_line_reason(http_get(proxy.port(), "/garbage"), 502, "invalid");
  check_one_line_reason(http_get(proxy.port(), "/huge-head"), 502, "invalid");
  check_one_line_reason(http_get(proxy.port(), "/cl-and-te"), 502, "invalid");
  // RFC 9112 §5.2: obs-fold in a response is either replaced by SP or answered 502.
  HttpResponse folded = http_get(proxy.port(), "/folded");
  CHECK((folded.status == 502 || folded.headers.get("X-Folded") == "a b"));
  // Chunk sizes are read after the head went out: the client sees an incomplete body.
  HttpResponse bad = http_get(proxy.port(), "/bad-chunks");
  CHECK((bad.status == 502 || !bad.complete));
}

TEST_CASE("back-pressure: a client that does not read stalls the origin, etagd stays small") {
  constexpr size_t kSlice = 1024 * 1024;
  constexpr size_t kSlices = 64;
  const std::string slice = binary_body(kSlice);
  std::atomic<size_t> sent{0};
  ScriptedOrigin origin;
  origin.route("/huge", [&](const OriginRequest&, OriginReply& r) {
    r.write_head(200, {{"Content-Length", std::to_string(kSlice * kSlices)}});
    for (size_t i = 0; i < kSlices && !r.broken(); ++i) {
      r.write_raw(slice);
      sent += kSlice;
    }
  });
  // A paused upstream read is not a slow upstream: upstream_read must not cut the body.
  Proxy proxy(origin, with_timeouts("upstream_read: 500ms"));
  long rss_before = resident_kib(proxy.pid());
  REQUIRE(rss_before > 0);

  HttpClient c = proxy.client(30000ms);
  int small = 64 * 1024;
  setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  c.send_request("GET", "/huge");
  // Wait until the origin's writes stop making progress.
  size_t last = 0;
  int stable_polls = 0;
  for (int i = 0; i < 100 && stable_polls < 8; ++i) {
    std::this_thread::sleep_for(100ms);
    size_t now = sent.load();
    stable_polls = (now == last && now > 0) ? stable_polls + 1 : 0;
    last = now;
  }
  size_t stalled_at = sent.load();
  long rss_stalled = resident_kib(proxy.pid());
  MESSAGE("origin stalled after ", stalled_at / kSlice, " MiB; etagd RSS ", rss_before, " -> ",
          rss_stalled, " KiB");
  CHECK(stable_polls >= 8);
  CHECK(stalled_at < kSlice * kSlices);
  CHECK(rss_stalled - rss_before < 32 * 1024);

  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  REQUIRE(r.body.size() == kSlice * kSlices);
  bool intact = true;
  for (size_t i = 0; i < kSlices && intact; ++i) {
    intact = r.body.compare(i * kSlice, kSlice, slice) == 0;
  }
  CHECK(intact);
  CHECK(sent.load() == kSlice * kSlices);
}

}  // namespace etagd::testing
