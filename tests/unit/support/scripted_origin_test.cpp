// ScriptedOrigin, exercised directly with HttpClient: what integration tests rely on when
// they put it behind etagd.
#include "support/scripted_origin.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/free_port.h"
#include "support/http_client.h"
#include "support/origin_scripts.h"
#include "support/wire_format.h"

namespace etagd::testing {
namespace {

using namespace std::chrono_literals;

milliseconds elapsed_since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

}  // namespace

TEST_CASE("the default handler answers 200 with the method and target as JSON") {
  ScriptedOrigin origin;
  HttpResponse r = http_get(origin.port(), "/any/thing?x=\"1\"");
  CHECK(r.status == 200);
  CHECK(r.headers.get("Content-Type") == "application/json");
  CHECK(r.body == R"({"method":"GET","target":"/any/thing?x=\"1\""})");
  CHECK(origin.errors().empty());
}

TEST_CASE("requests on one keep-alive connection are recorded with one connection id") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  for (int i = 0; i < 3; ++i) CHECK(client.get("/k/" + std::to_string(i)).status == 200);

  std::vector<OriginRequest> seen = origin.requests();
  REQUIRE(seen.size() == 3);
  for (size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].connection_id == seen[0].connection_id);
    CHECK(seen[i].index_on_connection == i);
    CHECK(seen[i].target == "/k/" + std::to_string(i));
  }
  CHECK(origin.connection_count() == 1);
  CHECK(origin.open_connections() == 1);
}

TEST_CASE("request counts are per path, ignore the query, and can be cleared") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  client.get("/a");
  client.get("/a?page=2");
  client.get("/b");
  CHECK(origin.request_count() == 3);
  CHECK(origin.request_count("/a") == 2);
  CHECK(origin.request_count("/b") == 1);
  CHECK(origin.request_count("/c") == 0);
  auto last = origin.last_request();
  REQUIRE(last);
  CHECK(last->path == "/b");
  CHECK(origin.requests()[1].query == "page=2");

  origin.clear_requests();
  CHECK(origin.request_count() == 0);
  CHECK(origin.request_count("/a") == 0);
  CHECK_FALSE(origin.last_request());
}

TEST_CASE("the origin records headers, the raw head and a Content-Length body") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  HttpResponse r = client.request("POST", "/api/items", {{"X-Trace", "t1"}}, R"({"a":1})");
  CHECK(r.status == 200);
  auto req = origin.last_request();
  REQUIRE(req);
  CHECK(req->method == "POST");
  CHECK(req->version == "HTTP/1.1");
  CHECK(req->headers.get("x-trace") == "t1");
  CHECK(req->headers.get("Host") == "127.0.0.1:" + std::to_string(origin.port()));
  CHECK(req->body == R"({"a":1})");
  CHECK_FALSE(req->chunked);
  CHECK(req->raw_head.rfind("POST /api/items HTTP/1.1\r\n", 0) == 0);
  CHECK(req->raw_head.find("X-Trace: t1\r\n") != std::string::npos);
}

TEST_CASE("a chunked request body is decoded by the origin, trailers kept") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  client.send_request("PUT", "/upload", {{"Transfer-Encoding", "chunked"}},
                      encode_chunked({"hello ", "chunked ", "world"}, {{"X-Checksum", "42"}}));
  CHECK(client.read_response().status == 200);
  auto req = origin.last_request();
  REQUIRE(req);
  CHECK(req->chunked);
  CHECK(req->body == "hello chunked world");
  CHECK(req->trailers.get("X-Checksum") == "42");
  // The connection is still in sync after the chunked body.
  CHECK(client.get("/after").status == 200);
}

TEST_CASE("routes: an exact path wins over prefixes, the longest prefix wins") {
  ScriptedOrigin origin;
  origin.route("/api/*", script::respond(200, {}, "api"));
  origin.route("/api/items/*", script::respond(200, {}, "items"));
  origin.route("/api/items/7", script::respond(200, {}, "seven"));
  HttpClient client(origin.port());
  CHECK(client.get("/api/other").body == "api");
  CHECK(client.get("/api/items/3").body == "items");
  CHECK(client.get("/api/items/7?x=1").body == "seven");
  CHECK(client.get("/elsewhere").body == R"({"method":"GET","target":"/elsewhere"})");
}

TEST_CASE("routing a pattern again replaces its handler while the origin runs") {
  ScriptedOrigin origin;
  origin.route("/v", script::respond(200, {}, "one"));
  HttpClient client(origin.port());
  CHECK(client.get("/v").body == "one");
  origin.route("/v", script::respond(200, {}, "two"));
  CHECK(client.get("/v").body == "two");
  origin.set_default(script::respond(404, {}, "nothing here"));
  CHECK(client.get("/unrouted").status == 404);
  origin.clear_routes();
  CHECK(client.get("/v").body == R"({"method":"GET","target":"/v"})");
}

TEST_CASE("a stopped origin refuses connections and comes back on the same port") {
  ScriptedOrigin origin;
  uint16_t port = origin.port();
  CHECK(http_get(port, "/before").status == 200);

  origin.stop();
  CHECK_FALSE(origin.running());
  CHECK_FALSE(accepts_connections("127.0.0.1", port));
  CHECK_THROWS_AS(HttpClient{port}, HttpError);

  origin.start();
  CHECK(origin.running());
  CHECK(origin.port() == port);
  CHECK(http_get(port, "/after").status == 200);
  CHECK(origin.request_count() == 2);  // records survive a restart
}

TEST_CASE("stop closes the connections that are open") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  CHECK(client.get("/x").status == 200);
  auto start = Clock::now();
  origin.stop();
  CHECK(client.wait_closed(2000ms));
  CHECK(elapsed_since(start) < 2000ms);
}

TEST_CASE("the destructor returns promptly while a handler waits") {
  auto origin = std::make_unique<ScriptedOrigin>();
  origin->route("/hang", script::never_answer());
  origin->route("/sleepy", script::delayed(60s, script::respond(200)));
  HttpClient a(origin->port());
  HttpClient b(origin->port());
  a.send_request("GET", "/hang");
  b.send_request("GET", "/sleepy");
  REQUIRE(origin->wait_for_requests(2, 2000ms));
  auto start = Clock::now();
  origin.reset();
  CHECK(elapsed_since(start) < 1500ms);
  CHECK(a.wait_closed(1000ms));
  CHECK(b.wait_closed(1000ms));
}

TEST_CASE("wait_for_requests returns at its timeout when nothing arrives") {
  ScriptedOrigin origin;
  auto start = Clock::now();
  CHECK_FALSE(origin.wait_for_requests(1, 150ms));
  auto waited = elapsed_since(start);
  CHECK(waited >= 150ms);
  CHECK(waited < 2000ms);
  CHECK_FALSE(origin.wait_for_requests("/p", 1, 50ms));
}

TEST_CASE("wait_for_requests wakes when requests arrive from another thread") {
  ScriptedOrigin origin;
  std::thread sender([&] {
    std::this_thread::sleep_for(50ms);
    HttpClient client(origin.port());
    client.get("/p");
    client.get("/p");
  });
  CHECK(origin.wait_for_requests("/p", 2, 5000ms));
  sender.join();
  CHECK(origin.request_count("/p") == 2);
}

TEST_CASE("drop_idle_connections closes keep-alive connections waiting for a request") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  CHECK(client.get("/x").status == 200);
  std::this_thread::sleep_for(20ms);  // let the connection thread return to its idle wait
  CHECK(origin.drop_idle_connections() == 1);
  CHECK(client.wait_closed(2000ms));
}

TEST_CASE("an idle timeout closes keep-alive connections") {
  ScriptedOrigin::Options options;
  options.idle_timeout = 100ms;
  ScriptedOrigin origin(options);
  HttpClient client(origin.port());
  CHECK(client.get("/x").status == 200);
  auto start = Clock::now();
  CHECK(client.wait_closed(3000ms));
  CHECK(elapsed_since(start) >= 80ms);
}

TEST_CASE("Connection: close from the client makes the origin answer and close") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  HttpResponse r = client.get("/x", {{"Connection", "close"}});
  CHECK(r.headers.has_token("Connection", "close"));
  CHECK_FALSE(r.keeps_alive());
  CHECK(client.wait_closed(2000ms));
}

TEST_CASE("an HTTP/1.0 request without keep-alive is answered and the connection closed") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  client.send_raw("GET /old HTTP/1.0\r\n\r\n");
  HttpResponse r = client.read_response();
  CHECK(r.status == 200);
  CHECK(r.headers.has_token("Connection", "close"));
  CHECK(client.wait_closed(2000ms));
  CHECK(origin.last_request()->version == "HTTP/1.0");
}

TEST_CASE("a malformed request is answered 400 and reported in errors()") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  client.send_raw("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
  HttpResponse r = client.read_response();
  CHECK(r.status == 400);
  CHECK(client.wait_closed(2000ms));
  CHECK(origin.request_count() == 0);
  REQUIRE(origin.errors().size() == 1);
  CHECK(origin.errors()[0].find("field line without colon") != std::string::npos);
}

TEST_CASE("a request with both Content-Length and Transfer-Encoding is refused with 400") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  client.send_raw(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  CHECK(client.read_response().status == 400);
  CHECK(origin.request_count() == 0);
  CHECK_FALSE(origin.errors().empty());
}

TEST_CASE("a request head over the origin's limit is answered 431") {
  ScriptedOrigin::Options options;
  options.max_head_bytes = 4096;
  ScriptedOrigin origin(options);
  HttpClient client(origin.port());
  client.send_request("GET", "/big", {{"X-Big", std::string(8000, 'b')}});
  CHECK(client.read_response().status == 431);
  CHECK(origin.request_count() == 0);
}

TEST_CASE("Expect: 100-continue is answered with 100 before the body is read") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  client.send_raw(
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n");
  HttpClient::ReadOptions interim_only;
  interim_only.return_interim = true;
  HttpResponse interim = client.read_response(interim_only);
  CHECK(interim.status == 100);
  client.send_raw("hello");
  HttpResponse final_response = client.read_response();
  CHECK(final_response.status == 200);
  CHECK(origin.last_request()->body == "hello");
}

TEST_CASE("a handler that throws resets the connection and is reported in errors()") {
  ScriptedOrigin origin;
  origin.route("/boom", [](const OriginRequest&, OriginReply&) {
    throw std::runtime_error("scripted failure");
  });
  HttpClient client(origin.port());
  client.send_request("GET", "/boom");
  CHECK_THROWS_AS(client.read_response(), HttpError);
  REQUIRE(origin.errors().size() == 1);
  CHECK(origin.errors()[0].find("scripted failure") != std::string::npos);
}

TEST_CASE("wait_peer_closed lets a handler see the client go away") {
  ScriptedOrigin origin;
  std::atomic<int> outcome{0};
  origin.route("/watch", [&](const OriginRequest&, OriginReply& r) {
    outcome = r.wait_peer_closed(3000ms) ? 1 : 2;
  });
  {
    HttpClient client(origin.port());
    client.send_request("GET", "/watch");
    REQUIRE(origin.wait_for_requests(1, 2000ms));
  }  // the client closes
  for (int i = 0; i < 200 && outcome == 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(outcome == 1);
}

TEST_CASE("the origin can also listen on [::1] with the same port") {
  if (!ipv6_loopback_available()) {
    MESSAGE("IPv6 loopback unavailable: skipped");
    return;
  }
  ScriptedOrigin::Options options;
  options.ipv6 = true;
  ScriptedOrigin origin(options);
  HttpClient v6("::1", origin.port());
  CHECK(v6.get("/six").status == 200);
  CHECK(http_get(origin.port(), "/four").status == 200);
  CHECK(origin.request_count() == 2);
}

TEST_CASE("an origin can be started on a chosen port") {
  uint16_t port = free_port();
  ScriptedOrigin::Options options;
  options.port = port;
  ScriptedOrigin origin(options);
  CHECK(origin.port() == port);
  CHECK(origin.url() == "http://127.0.0.1:" + std::to_string(port));
  CHECK(http_get(port, "/").status == 200);
}

}  // namespace etagd::testing

namespace etagd::testing {

TEST_CASE("stop() called from the origin's own handler is refused, not deadlocked") {
  ScriptedOrigin origin;
  origin.route("/self-stop", [&origin](const OriginRequest&, OriginReply&) { origin.stop(); });
  HttpClient client(origin.port());
  client.send_request("GET", "/self-stop");
  CHECK_THROWS_AS(client.read_response(), HttpError);
  CHECK(origin.running());
  REQUIRE(origin.errors().size() == 1);
  CHECK(origin.errors()[0].find("called from a handler") != std::string::npos);
}

}  // namespace etagd::testing
