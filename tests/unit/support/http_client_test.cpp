// HttpClient against scripted origin behaviours: the decoding and failure detection that
// integration tests depend on when they read etagd's answers.
#include "support/http_client.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "support/origin_scripts.h"
#include "support/scripted_origin.h"

namespace etagd::testing {
namespace {

using namespace std::chrono_literals;

milliseconds elapsed_since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

}  // namespace

TEST_CASE("a chunked reply is decoded, with trailers") {
  ScriptedOrigin origin;
  origin.route("/chunked", [](const OriginRequest&, OriginReply& r) {
    r.reply_chunked(200, {{"Content-Type", "text/plain"}}, {"alpha ", "beta ", "gamma"},
                    {{"X-Digest", "abc"}});
  });
  HttpClient client(origin.port());
  HttpResponse r = client.get("/chunked");
  CHECK(r.status == 200);
  CHECK(r.framing == BodyFraming::chunked);
  CHECK(r.body == "alpha beta gamma");
  CHECK(r.trailers.get("X-Digest") == "abc");
  CHECK(r.complete);
  CHECK(r.keeps_alive());
  CHECK(client.get("/next").status == 200);  // still in sync
}

TEST_CASE("chunks written with pauses arrive as one decoded body") {
  ScriptedOrigin origin;
  origin.route("/stream", script::respond_chunked(200, {}, {"a", "bb", "ccc"}, 40ms));
  auto start = Clock::now();
  HttpResponse r = http_get(origin.port(), "/stream");
  CHECK(r.body == "abbccc");
  CHECK(elapsed_since(start) >= 120ms);
}

TEST_CASE("a close-delimited body ends when the origin closes") {
  ScriptedOrigin origin;
  origin.route("/legacy",
               script::close_delimited(200, {{"Content-Type", "text/plain"}}, "no length here"));
  HttpClient client(origin.port());
  HttpResponse r = client.get("/legacy");
  CHECK(r.status == 200);
  CHECK(r.framing == BodyFraming::until_close);
  CHECK(r.body == "no length here");
  CHECK(r.complete);
  CHECK_FALSE(r.keeps_alive());
  CHECK(client.wait_closed(1000ms));
}

TEST_CASE("a dripped body arrives byte by byte and completes") {
  ScriptedOrigin origin;
  origin.route("/drip", script::drip_body(200, "12345", 40ms));
  HttpClient client(origin.port());
  client.send_request("GET", "/drip");
  auto start = Clock::now();
  HttpResponse r = client.read_response();
  CHECK(r.body == "12345");
  CHECK(elapsed_since(start) >= 150ms);  // four pauses between five bytes
}

TEST_CASE("read_some sees the first dripped bytes before the body is complete") {
  ScriptedOrigin origin;
  origin.route("/drip", [](const OriginRequest&, OriginReply& r) {
    r.write_head(200, {{"Content-Length", "4"}});
    r.drip("abcd", 150ms);
  });
  HttpClient client(origin.port());
  client.send_request("GET", "/drip");
  std::string first = client.read_some(1000ms);
  CHECK(first.find("HTTP/1.1 200") == 0);
  CHECK(first.find("abcd") == std::string::npos);
}

TEST_CASE("a reset by the origin is detected") {
  ScriptedOrigin origin;
  origin.route("/rst", script::reset_without_reply());
  HttpClient client(origin.port());
  client.send_request("GET", "/rst");
  try {
    client.read_response();
    FAIL("read_response should have thrown");
  } catch (const HttpError& e) {
    CHECK(e.status == IoStatus::reset);
  }
  CHECK(client.wait_closed(100ms));
}

TEST_CASE("a close before any response byte throws a closed error") {
  ScriptedOrigin origin;
  origin.route("/fin", script::close_without_reply());
  HttpClient client(origin.port());
  client.send_request("GET", "/fin");
  try {
    client.read_response();
    FAIL("read_response should have thrown");
  } catch (const HttpError& e) {
    CHECK(e.status == IoStatus::closed);
  }
}

TEST_CASE("a body cut short by close or reset is returned incomplete") {
  ScriptedOrigin origin;
  origin.route("/cut", script::close_mid_body(200, std::string(1000, 'x'), 300));
  origin.route("/rst", script::reset_mid_body(200, std::string(1000, 'y'), 300));
  HttpResponse cut = http_get(origin.port(), "/cut");
  CHECK(cut.status == 200);
  CHECK_FALSE(cut.complete);
  CHECK(cut.body == std::string(300, 'x'));
  CHECK(cut.problem.find("300 of 1000") != std::string::npos);

  HttpResponse rst = http_get(origin.port(), "/rst");
  CHECK_FALSE(rst.complete);
  CHECK(rst.body.size() <= 300);
}

TEST_CASE("a garbage status line throws a malformed error") {
  ScriptedOrigin origin;
  origin.route("/garbage", script::garbage());
  HttpClient client(origin.port());
  client.send_request("GET", "/garbage");
  try {
    client.read_response();
    FAIL("read_response should have thrown");
  } catch (const HttpError& e) {
    CHECK(e.status == IoStatus::malformed);
    CHECK(std::string(e.what()).find("OOPS") != std::string::npos);
  }
}

TEST_CASE("1xx interim responses are collected before the final response") {
  ScriptedOrigin origin;
  origin.route("/hints", script::interim_then_final(103, 200, {}, "final"));
  HttpClient client(origin.port());
  HttpResponse r = client.get("/hints");
  CHECK(r.status == 200);
  CHECK(r.body == "final");
  REQUIRE(r.interim.size() == 1);
  CHECK(r.interim[0].status == 103);
}

TEST_CASE("return_interim hands back the interim response on its own") {
  ScriptedOrigin origin;
  origin.route("/hints", script::interim_then_final(103, 201, {}, "made"));
  HttpClient client(origin.port());
  client.send_request("POST", "/hints", {}, "x");
  HttpClient::ReadOptions options;
  options.return_interim = true;
  CHECK(client.read_response(options).status == 103);
  HttpResponse final_response = client.read_response();
  CHECK(final_response.status == 201);
  CHECK(final_response.body == "made");
}

TEST_CASE("a HEAD response has no body even with Content-Length, and the connection stays usable") {
  ScriptedOrigin origin;
  origin.route("/doc", script::respond(200, {{"Content-Type", "text/plain"}}, "twelve bytes"));
  HttpClient client(origin.port());
  HttpResponse head = client.request("HEAD", "/doc");
  CHECK(head.status == 200);
  CHECK(head.headers.get("Content-Length") == "12");
  CHECK(head.body.empty());
  CHECK(head.framing == BodyFraming::none);
  CHECK(client.get("/doc").body == "twelve bytes");
}

TEST_CASE("a raw HEAD is read without a body when told so") {
  ScriptedOrigin origin;
  origin.route("/doc", script::respond(200, {}, "body"));
  HttpClient client(origin.port());
  client.send_raw("HEAD /doc HTTP/1.1\r\nHost: x\r\n\r\n");
  HttpResponse r = client.read_response(false);
  CHECK(r.status == 200);
  CHECK(r.body.empty());
}

TEST_CASE("204 and 304 responses are read without a body") {
  ScriptedOrigin origin;
  origin.route("/nc", script::respond(204));
  origin.route("/nm", script::respond(304, {{"ETag", "\"v1\""}}));
  HttpClient client(origin.port());
  CHECK(client.get("/nc").status == 204);
  HttpResponse nm = client.get("/nm");
  CHECK(nm.status == 304);
  CHECK(nm.headers.get("ETag") == "\"v1\"");
  CHECK(nm.body.empty());
  CHECK(client.get("/after").status == 200);
}

TEST_CASE("pipelined requests are answered in order") {
  ScriptedOrigin origin;
  origin.route("/slow-first", script::delayed(100ms, script::respond(200, {}, "first")));
  HttpClient client(origin.port());
  client.send_raw(
      "GET /slow-first HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /second HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /third HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(client.read_response().body == "first");
  CHECK(client.read_response().body == R"({"method":"GET","target":"/second"})");
  CHECK(client.read_response().body == R"({"method":"GET","target":"/third"})");
  CHECK(origin.connection_count() == 1);
}

TEST_CASE("pipelined send_request calls remember which response belongs to a HEAD") {
  ScriptedOrigin origin;
  origin.route("/doc", script::respond(200, {}, "body"));
  HttpClient client(origin.port());
  client.send_request("HEAD", "/doc");
  client.send_request("GET", "/doc");
  CHECK(client.read_response().body.empty());
  CHECK(client.read_response().body == "body");
}

TEST_CASE("a response slower than the client timeout throws a timeout error") {
  ScriptedOrigin origin;
  origin.route("/slow", script::delayed(400ms, script::respond(200, {}, "late")));
  HttpClient impatient(origin.port(), 100ms);
  impatient.send_request("GET", "/slow");
  auto start = Clock::now();
  try {
    impatient.read_response();
    FAIL("read_response should have thrown");
  } catch (const HttpError& e) {
    CHECK(e.status == IoStatus::timeout);
  }
  CHECK(elapsed_since(start) < 1000ms);

  start = Clock::now();
  CHECK(http_get(origin.port(), "/slow").body == "late");
  CHECK(elapsed_since(start) >= 390ms);
}

TEST_CASE("wait_closed is false while the server keeps the connection open") {
  ScriptedOrigin origin;
  HttpClient client(origin.port());
  CHECK(client.get("/").status == 200);
  auto start = Clock::now();
  CHECK_FALSE(client.wait_closed(100ms));
  CHECK(elapsed_since(start) >= 100ms);
  CHECK(client.get("/again").status == 200);
}

TEST_CASE("a large response head and body are read whole") {
  ScriptedOrigin origin;
  origin.route("/bighead", script::oversized_head(100000));
  origin.route("/bigbody", script::respond(200, {}, std::string(3 * 1024 * 1024, 'z')));
  HttpClient client(origin.port());
  HttpResponse head = client.get("/bighead");
  CHECK(head.headers.get("X-Oversized").size() == 100000);
  CHECK(head.body == "ok");
  CHECK(client.get("/bigbody").body.size() == 3 * 1024 * 1024);
}

TEST_CASE("connecting to a port nobody listens on throws") {
  uint16_t port;
  {
    ScriptedOrigin origin;
    port = origin.port();
  }
  CHECK_THROWS_AS(HttpClient(port, 500ms), HttpError);
}

}  // namespace etagd::testing
