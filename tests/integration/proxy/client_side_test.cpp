// The client side of the proxy: HTTP/1.0 and 1.1, keep-alive, pipelining,
// request bodies (Content-Length and chunked), Expect: 100-continue and HEAD.
// Limits and their error answers are in limits_test.cpp.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <string>
#include <thread>
#include <vector>

#include "support/proxy_harness.h"
#include "support/origin_scripts.h"
#include "support/wire_format.h"

namespace etagd::testing {
namespace {

std::string echo_body(std::string_view method, std::string_view target) {
  return "{\"method\":\"" + std::string(method) + "\",\"target\":\"" + std::string(target) + "\"}";
}

// Echoes the request body, so a test sees what reached the origin in the answer too.
void echo_request_body(ScriptedOrigin& origin, const std::string& route) {
  origin.route(route, [](const OriginRequest& req, OriginReply& r) {
    r.reply(200, {{"Content-Type", "application/octet-stream"}}, req.body);
  });
}

}  // namespace

TEST_CASE("an HTTP/1.0 request is answered and the connection closed after the answer") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw("GET /ten HTTP/1.0\r\n\r\n");
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == echo_body("GET", "/ten"));
  CHECK(r.framing != BodyFraming::chunked);  // HTTP/1.0 has no chunked coding
  CHECK_FALSE(r.keeps_alive());
  CHECK(c.wait_closed(2000ms));
  // Upstream, etagd speaks HTTP/1.1 and must invent a Host for a request without one.
  REQUIRE(origin.last_request());
  CHECK(origin.last_request()->version == "HTTP/1.1");
  CHECK(origin.last_request()->headers.get("Host") == origin.authority());
}

TEST_CASE("an HTTP/1.0 request with Connection: keep-alive keeps its connection") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  for (int i = 0; i < 3; ++i) {
    std::string target = "/keep/" + std::to_string(i);
    c.send_raw("GET " + target + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    HttpResponse r = c.read_response();
    CHECK(r.status == 200);
    CHECK(r.body == echo_body("GET", target));
    CHECK(r.headers.has_token("Connection", "keep-alive"));
    CHECK(r.keeps_alive());
  }
  CHECK_FALSE(c.wait_closed(200ms));
  CHECK(origin.request_count() == 3);
}

TEST_CASE("a chunked upstream answer reaches an HTTP/1.0 client close-delimited") {
  ScriptedOrigin origin;
  origin.route("/chunks", script::respond_chunked(200, {}, {"alpha-", "beta-", "gamma"}));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  // Even with keep-alive asked for: without a length, only the close can end the body.
  c.send_raw("GET /chunks HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK_FALSE(r.headers.contains("Transfer-Encoding"));
  CHECK(r.framing == BodyFraming::until_close);
  CHECK(r.body == "alpha-beta-gamma");
  CHECK(r.complete);
  CHECK(c.wait_closed(2000ms));
}

TEST_CASE("HTTP/1.1 keep-alive: several requests on one connection all reach the origin") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  for (int i = 0; i < 4; ++i) {
    std::string target = "/items/" + std::to_string(i) + "?page=" + std::to_string(i);
    HttpResponse r = c.get(target);
    CHECK(r.status == 200);
    CHECK(r.body == echo_body("GET", target));
    CHECK(r.keeps_alive());
    CHECK_FALSE(r.headers.contains("Connection"));
  }
  std::vector<OriginRequest> seen = origin.requests();
  REQUIRE(seen.size() == 4);
  for (size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].target == "/items/" + std::to_string(i) + "?page=" + std::to_string(i));
  }
}

TEST_CASE("Connection: close from an HTTP/1.1 client is honoured after the answer") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/bye", {{"Connection", "close"}});
  CHECK(r.status == 200);
  CHECK(r.headers.has_token("Connection", "close"));
  CHECK(c.wait_closed(2000ms));
}

TEST_CASE("pipelined requests sent at once are answered in order, each with its own answer") {
  ScriptedOrigin origin;
  // The first answer is the slowest: an out-of-order proxy would answer the others first.
  origin.route("/p/0", script::delayed(200ms, script::respond(200, {}, "zero")));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  std::string batch;
  for (int i = 0; i < 5; ++i) {
    batch += "GET /p/" + std::to_string(i) + " HTTP/1.1\r\nHost: pipelined\r\n\r\n";
  }
  c.send_raw(batch);
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = c.read_response();
    CHECK(r.status == 200);
    CHECK(r.body == (i == 0 ? std::string("zero") : echo_body("GET", "/p/" + std::to_string(i))));
  }
  CHECK(origin.request_count() == 5);
  CHECK_FALSE(c.wait_closed(100ms));
}

// `printf ... | nc -N`: the client half-closes right after its pipelined requests; every
// complete request already sent is still answered.
TEST_CASE("pipelined requests followed by a half-close are all answered") {
  // `printf 'GET /a ...GET /b ...' | nc host port` sends its requests, then FIN: the FIN says
  // "no more requests", not "forget the ones I sent" (RFC 9112 §9.6).
  ScriptedOrigin origin;
  origin.route("/p/*", script::delayed(50ms, script::respond(200, {}, "answer")));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  std::string batch;
  for (int i = 0; i < 3; ++i) {
    batch += "GET /p/" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n";
  }
  c.send_raw(batch);
  c.shutdown_write();
  int answered = 0;
  try {
    for (int i = 0; i < 3; ++i) {
      HttpResponse r = c.read_response();
      if (r.status == 200 && r.body == "answer") ++answered;
    }
  } catch (const HttpError& e) {
    MESSAGE("reading stopped: ", e.what());
  }
  CHECK(answered == 3);
  CHECK(c.wait_closed(2000ms));
  CHECK(origin.request_count() == 3);
}

TEST_CASE("many pipelined requests with large answers are all answered, in order") {
  // Enough answers to exceed etagd's output high watermark many times over, while the
  // requests keep arriving: answering must pause and resume, never reorder or stall.
  ScriptedOrigin origin;
  origin.route("/big/*", [](const OriginRequest& req, OriginReply& r) {
    r.reply(200, {}, req.target + ":" + std::string(16 * 1024, 'b'));
  });
  Proxy proxy(origin);
  HttpClient c = proxy.client(20000ms);
  constexpr int kRequests = 400;
  std::string batch;
  for (int i = 0; i < kRequests; ++i) {
    batch += "GET /big/" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n";
  }
  // Written from another thread: a client that writes everything before reading could
  // deadlock against any server that bounds its buffers.
  std::thread writer([fd = c.fd(), &batch] {
    size_t off = 0;
    while (off < batch.size()) {
      ssize_t n = ::send(fd, batch.data() + off, batch.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  });
  int in_order = 0;
  try {
    for (int i = 0; i < kRequests; ++i) {
      HttpResponse r = c.read_response();
      std::string expected = "/big/" + std::to_string(i) + ":" + std::string(16 * 1024, 'b');
      if (r.status == 200 && r.body == expected) ++in_order;
    }
  } catch (const HttpError& e) {
    MESSAGE("reading stopped: ", e.what());
  }
  writer.join();
  CHECK(in_order == kRequests);
}

TEST_CASE("pipelined requests with bodies keep their bodies apart") {
  ScriptedOrigin origin;
  echo_request_body(origin, "/echo");
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  std::string batch;
  batch += "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst";
  batch += "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  batch += encode_chunked({"sec", "ond"});
  batch += "GET /after HTTP/1.1\r\nHost: a\r\n\r\n";
  c.send_raw(batch);
  CHECK(c.read_response().body == "first");
  CHECK(c.read_response().body == "second");
  CHECK(c.read_response().body == echo_body("GET", "/after"));
  CHECK(origin.request_count() == 3);
}

TEST_CASE("a chunked request body reaches the origin intact, re-framed with Content-Length") {
  ScriptedOrigin origin;
  echo_request_body(origin, "/upload");
  Proxy proxy(origin);
  std::string part1 = binary_body(3000);
  std::string part2(17, 'x');
  std::string part3 = binary_body(70000);
  HttpClient c = proxy.client();
  c.send_request("POST", "/upload", {{"Transfer-Encoding", "chunked"}},
                 encode_chunked({part1, part2, part3}));
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  std::string whole = part1 + part2 + part3;
  CHECK(r.body == whole);
  REQUIRE(origin.last_request());
  OriginRequest seen = *origin.last_request();
  CHECK(seen.body == whole);
  CHECK_FALSE(seen.chunked);
  CHECK_FALSE(seen.headers.contains("Transfer-Encoding"));
  CHECK(seen.headers.all("Content-Length") ==
        std::vector<std::string>{std::to_string(whole.size())});
}

TEST_CASE("chunk extensions and trailer fields of a request body are accepted and consumed") {
  ScriptedOrigin origin;
  echo_request_body(origin, "/upload");
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw(
      "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "6\r\n world\r\n"
      "0\r\nX-Checksum: 42\r\n\r\n"
      "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == "hello world");
  // The trailer ended the body exactly: the next request is parsed from the right byte.
  CHECK(c.read_response().body == echo_body("GET", "/next"));
}

TEST_CASE("a Content-Length request body reaches the origin intact, byte for byte") {
  ScriptedOrigin origin;
  echo_request_body(origin, "/upload");
  Proxy proxy(origin);
  std::string body = binary_body(600 * 1024);
  HttpResponse r = http_request(proxy.port(), "PUT", "/upload", {}, body);
  CHECK(r.status == 200);
  CHECK(r.body == body);
  REQUIRE(origin.last_request());
  CHECK(origin.last_request()->method == "PUT");
  CHECK(origin.last_request()->body == body);
  CHECK(origin.last_request()->headers.get("Content-Length") == std::to_string(body.size()));
}

TEST_CASE("a POST without a body is forwarded with Content-Length: 0") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw("POST /empty HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(c.read_response().status == 200);
  REQUIRE(origin.last_request());
  CHECK(origin.last_request()->headers.get("Content-Length") == "0");
}

TEST_CASE("Expect: 100-continue: 100 Continue first, then the body, then the final answer") {
  ScriptedOrigin origin;
  echo_request_body(origin, "/upload");
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw(
      "POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
  HttpClient::ReadOptions interim;
  interim.return_interim = true;
  HttpResponse first = c.read_response(interim);
  CHECK(first.status == 100);
  CHECK(origin.request_count() == 0);  // nothing goes upstream before the body
  c.send_raw("hello world");
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == "hello world");
  REQUIRE(origin.last_request());
  CHECK_FALSE(origin.last_request()->headers.contains("Expect"));
  CHECK(origin.last_request()->body == "hello world");
}

TEST_CASE("Expect: 100-continue with a body already sent gets no stray 100 after the answer") {
  ScriptedOrigin origin;
  echo_request_body(origin, "/upload");
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw(
      "POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"
      "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == "abc");
  HttpResponse next = c.read_response();
  CHECK(next.status == 200);
  CHECK(next.interim.empty());
  CHECK(next.body == echo_body("GET", "/next"));
}

TEST_CASE("an HTTP/1.0 client sending Expect: 100-continue gets no 100 (RFC 9110 §10.1.1)") {
  ScriptedOrigin origin;
  echo_request_body(origin, "/upload");
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw("POST /upload HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  CHECK(c.read_some(300ms).empty());
  c.send_raw("body");
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.interim.empty());
  CHECK(r.body == "body");
}

TEST_CASE("the chunked coding name is matched case-insensitively") {
  ScriptedOrigin origin;
  echo_request_body(origin, "/upload");
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n" +
             encode_chunked({"mixed", "case"}));
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == "mixedcase");
}

TEST_CASE("HEAD is answered with the GET's Content-Length and no body") {
  ScriptedOrigin origin;
  origin.route("/doc", script::respond(200, {{"Content-Type", "text/plain"}}, "hello world"));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse head = c.request("HEAD", "/doc");
  CHECK(head.status == 200);
  CHECK(head.headers.get("Content-Length") == "11");
  CHECK(head.body.empty());
  // A body byte sent after the HEAD answer would corrupt the next answer on the connection.
  HttpResponse get = c.get("/doc");
  CHECK(get.status == 200);
  CHECK(get.body == "hello world");
  CHECK(c.read_some(100ms).empty());
  REQUIRE(origin.requests().size() == 2);
  CHECK(origin.requests()[0].method == "HEAD");
}

TEST_CASE("HEAD of a resource the origin sends chunked carries no body and no chunk bytes") {
  ScriptedOrigin origin;
  origin.route("/chunks", script::respond_chunked(200, {}, {"a", "b"}));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse head = c.request("HEAD", "/chunks");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  HttpResponse get = c.get("/chunks");
  CHECK(get.body == "ab");
}

TEST_CASE("empty lines before a request line are ignored") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.get("/first");
  c.send_raw("\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n");
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == echo_body("GET", "/second"));
}

TEST_CASE("a client that half-closes after its request still gets the whole answer") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(200ms, script::respond(200, {}, "late but whole")));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_request("GET", "/slow");
  c.shutdown_write();
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == "late but whole");
  CHECK(c.wait_closed(2000ms));
}

TEST_CASE("an extension method and its body are forwarded as sent") {
  ScriptedOrigin origin;
  origin.route("/dav", [](const OriginRequest& req, OriginReply& r) {
    r.reply(207, {}, req.method + ":" + req.body);
  });
  Proxy proxy(origin);
  HttpResponse r =
      http_request(proxy.port(), "PROPFIND", "/dav", {{"Content-Length", "4"}}, "<a/>");
  CHECK(r.status == 207);
  CHECK(r.body == "PROPFIND:<a/>");
}

TEST_CASE("an HTTP/1.0 client gets an HTTP/1.1 status line (RFC 9110 §6.2)") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw("GET /version HTTP/1.0\r\n\r\n");
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.version == "HTTP/1.1");
  CHECK(r.headers.get("Connection") == "close");
}

TEST_CASE("an Expect other than 100-continue is answered 417 and never reaches the origin") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw("GET /expect HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n");
  HttpResponse r = c.read_response();
  CHECK(r.status == 417);
  CHECK(c.wait_closed(2000ms));
  CHECK(origin.request_count() == 0);
}

}  // namespace etagd::testing
