// HTTP/2 streams go through the same exchange as HTTP/1.1 requests: on a listener with
// `http2: on`, clients with prior knowledge (curl, nghttp, h2load) get hits, local 304s,
// content ETags, coalescing, invalidation, the access log and the metrics, while HTTP/1.1
// clients keep working on the same address.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>

#include "http2_harness.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/origin_scripts.h"
#include "support/prometheus_text.h"

namespace etagd::testing {
namespace {

const std::string kStoreApi = "{ match: { prefix: /api/ }, cache: store, ttl: 60s }";

TEST_CASE("an http2 listener speaks HTTP/2 to a client with prior knowledge and HTTP/1.1 to others") {
  ScriptedOrigin origin;
  origin.route("/api/items", script::respond(200, {{"Content-Type", "application/json"}}, "[1,2]"));
  Http2Etagd etagd(origin);

  CurlAnswer h2 = curl_h2(etagd.port(), "/api/items");
  INFO(h2.output);
  CHECK(h2.protocol == "HTTP/2");
  CHECK(h2.status == 200);
  CHECK(h2.body == "[1,2]");
  CHECK(h2.headers.get("content-type") == "application/json");
  CHECK(h2.headers.get("content-length") == "5");
  CHECK(h2.headers.contains("date"));

  CurlAnswer h1 = curl_http1(etagd.port(), "/api/items");
  CHECK(h1.protocol == "HTTP/1.1");
  CHECK(h1.status == 200);
  CHECK(h1.body == "[1,2]");
  // Upstream stays HTTP/1.1 whatever the client spoke.
  REQUIRE(origin.request_count("/api/items") == 2);
  CHECK(origin.requests()[0].version == "HTTP/1.1");
  CHECK(origin.requests()[0].headers.get("Via") == "2 etagd");
  CHECK(origin.requests()[1].headers.get("Via") == "1.1 etagd");
  CHECK(origin.requests()[0].headers.get("Host") == "127.0.0.1:" + std::to_string(etagd.port()));
}

TEST_CASE("curl --http2 asking to upgrade is answered in HTTP/1.1 and the upgrade goes nowhere") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin);
  // Without prior knowledge curl sends Upgrade: h2c; etagd does not offer it (RFC 9113 §3.1
  // deprecated it) and answers the request as HTTP/1.1.
  CurlAnswer a = curl_h2(etagd.port(), "/api/items");  // prior knowledge: the control
  CHECK(a.protocol == "HTTP/2");
  CurlAnswer upgraded = curl_http1(etagd.port(), "/api/items", {"--http2"});
  INFO(upgraded.output);
  CHECK(upgraded.protocol == "HTTP/1.1");
  CHECK(upgraded.status == 200);
  REQUIRE(origin.last_request());
  CHECK_FALSE(origin.last_request()->headers.contains("Upgrade"));
  CHECK_FALSE(origin.last_request()->headers.contains("HTTP2-Settings"));
}

TEST_CASE("over HTTP/2 a stored response is a HIT and its content ETag gets a local 304") {
  ScriptedOrigin origin;
  origin.route("/api/items/1", script::respond(200, {}, "{\"id\":1}"));
  Http2Etagd etagd(origin, {.rules = {kStoreApi}});

  CurlAnswer first = curl_h2(etagd.port(), "/api/items/1");
  CHECK(first.status == 200);
  CHECK(first.headers.get("x-cache") == "MISS");
  std::string etag = first.headers.get("etag");
  REQUIRE(etag.size() > 2);
  CHECK(etag.front() == '"');  // etagd's own strong content ETag: the origin sent none

  CurlAnswer second = curl_h2(etagd.port(), "/api/items/1");
  CHECK(second.status == 200);
  CHECK(second.headers.get("x-cache") == "HIT");
  CHECK(second.headers.get("etag") == etag);
  CHECK(second.headers.contains("age"));
  CHECK(second.body == "{\"id\":1}");

  CurlAnswer not_modified = curl_h2(etagd.port(), "/api/items/1", {"-H", "If-None-Match: " + etag});
  CHECK(not_modified.status == 304);
  CHECK(not_modified.headers.get("etag") == etag);
  CHECK(not_modified.body.empty());
  CHECK_FALSE(not_modified.headers.contains("content-length"));
  CHECK(origin.request_count("/api/items/1") == 1);
}

TEST_CASE("HEAD over HTTP/2 announces the length of the body it does not carry") {
  ScriptedOrigin origin;
  origin.route("/api/doc", script::respond(200, {}, std::string(1000, 'd')));
  Http2Etagd etagd(origin, {.rules = {kStoreApi}});
  CHECK(curl_h2(etagd.port(), "/api/doc").body.size() == 1000);

  CurlAnswer head = curl_h2(etagd.port(), "/api/doc", {"-I"});
  CHECK(head.status == 200);
  CHECK(head.headers.get("content-length") == "1000");
  CHECK(head.headers.get("x-cache") == "HIT");
  CHECK(head.body.empty());
  CHECK(origin.request_count("/api/doc") == 1);
}

TEST_CASE("a POST over HTTP/2 forwards its body upstream and invalidates the stored URL") {
  ScriptedOrigin origin;
  origin.route("/api/items/7", [](const OriginRequest& req, OriginReply& reply) {
    reply.reply(200, {}, req.method == "POST" ? "stored " + req.body : "item 7");
  });
  Http2Etagd etagd(origin, {.rules = {kStoreApi}});
  CHECK(curl_h2(etagd.port(), "/api/items/7").headers.get("x-cache") == "MISS");
  CHECK(curl_h2(etagd.port(), "/api/items/7").headers.get("x-cache") == "HIT");

  std::string body(100000, 'p');  // more than one DATA frame and the initial window
  CurlAnswer post = curl_h2(etagd.port(), "/api/items/7",
                            {"-X", "POST", "-H", "Content-Type: text/plain", "--data-binary", body});
  CHECK(post.status == 200);
  CHECK(post.body == "stored " + body);
  REQUIRE(origin.last_request());
  CHECK(origin.last_request()->method == "POST");
  CHECK(origin.last_request()->body == body);
  CHECK(origin.last_request()->headers.get("Content-Length") == std::to_string(body.size()));

  CHECK(curl_h2(etagd.port(), "/api/items/7").headers.get("x-cache") == "MISS");
  CHECK(origin.request_count("/api/items/7") == 3);
}

TEST_CASE("two streams of one HTTP/2 connection asking for the same URL make one upstream fetch") {
  ScriptedOrigin origin;
  origin.route("/api/hot", script::delayed(300ms, script::respond(200, {}, "hot data")));
  Http2Etagd etagd(origin, {.rules = {kStoreApi}});

  // Both HEADERS frames go out in one write, before any answer.
  std::string authority = "127.0.0.1:" + std::to_string(etagd.port());
  std::string get = probe_request(
      {{":method", "GET"}, {":scheme", "http"}, {":authority", authority}, {":path", "/api/hot"}});
  std::string out = h2_probe(etagd.port(), "request", "[" + get + ", " + get + "]");
  INFO(out);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("stream 3 status 200") != std::string::npos);
  CHECK(out.find("stream 1 body 8 bytes") != std::string::npos);
  CHECK(out.find("stream 3 body 8 bytes") != std::string::npos);
  CHECK(out.find("header x-cache: MISS") != std::string::npos);
  CHECK(out.find("header x-cache: HIT-COALESCED") != std::string::npos);
  CHECK(origin.request_count("/api/hot") == 1);
  std::string log;
  REQUIRE(eventually([&] {
    log = etagd.access_log();
    return log.find("HIT-COALESCED") != std::string::npos;
  }));
  CHECK(log.find("\"GET /api/hot HTTP/2.0\" 200 8 MISS") != std::string::npos);
}

TEST_CASE("nghttp gets several URLs over one connection at once, each answered on its own stream") {
  ScriptedOrigin origin;
  for (const char* path : {"/api/a", "/api/b", "/api/c"}) {
    origin.route(path, script::delayed(100ms, script::respond(200, {}, std::string("body of ") + path)));
  }
  Http2Etagd etagd(origin);
  // -n: bodies not printed; -s: one line per stream with its status and size.
  std::string out = run_client({"nghttp", "-ns", etagd.url("/api/a"), etagd.url("/api/b"),
                                etagd.url("/api/c")});
  INFO(out);
  for (const char* path : {"/api/a", "/api/b", "/api/c"}) {
    CHECK(out.find(std::string("200   14 ") + path) != std::string::npos);
    CHECK(origin.request_count(path) == 1);
  }
  // The origin saw them overlap: three connections from etagd's pool, not one after another.
  CHECK(origin.connection_count() == 3);
}

TEST_CASE("HTTP/2 answers are in the access log as HTTP/2.0 and counted in the metrics") {
  ScriptedOrigin origin;
  origin.route("/api/m", script::respond(200, {}, "m"));
  uint16_t admin = free_port();
  Http2Etagd etagd(origin, {.rules = {kStoreApi}, .admin_port = admin});
  curl_h2(etagd.port(), "/api/m", {"-A", "h2-test-agent"});
  curl_h2(etagd.port(), "/api/m");

  std::string log;
  REQUIRE(eventually([&] {
    log = etagd.access_log();
    return log.find("HIT") != std::string::npos;
  }));
  CHECK(log.find("\"GET /api/m HTTP/2.0\" 200 1 MISS") != std::string::npos);
  CHECK(log.find("\"h2-test-agent\"") != std::string::npos);
  HttpResponse metrics = http_get(admin, "/metrics");
  CHECK(sample_value(metrics.body,
                     R"(etagd_requests_total{method="GET",status="2xx",cache="MISS"})") == 1);
  CHECK(sample_value(metrics.body,
                     R"(etagd_requests_total{method="GET",status="2xx",cache="HIT"})") == 1);
}

TEST_CASE("h2load: many streams on a few connections are all answered and a stored URL is fetched once") {
  ScriptedOrigin origin;
  origin.route("/api/load", script::respond(200, {}, std::string(2048, 'l')));
  Http2Etagd etagd(origin, {.rules = {kStoreApi}});
  CHECK(curl_h2(etagd.port(), "/api/load").status == 200);

  std::string out = run_client({"h2load", "-n", "2000", "-c", "4", "-m", "10", etagd.url("/api/load")});
  INFO(out);
  CHECK(out.find("2000 succeeded, 0 failed, 0 errored, 0 timeout") != std::string::npos);
  CHECK(out.find("status codes: 2000 2xx") != std::string::npos);
  CHECK(origin.request_count("/api/load") == 1);
}

TEST_CASE("over HTTP/2 a stale entry is served STALE and refreshed in the background") {
  ScriptedOrigin origin;
  std::atomic<int> version{1};
  origin.route("/doc", [&](const OriginRequest&, OriginReply& reply) {
    // The refreshed entry stays fresh, so a slow machine polling for it below cannot make it
    // stale again and count a third request.
    int v = version.load();
    reply.reply(200, {{"Cache-Control", v == 1 ? "max-age=1, stale-while-revalidate=60" : "max-age=60"}},
                "version " + std::to_string(v));
  });
  Http2Etagd etagd(origin);  // no rules: the upstream grants the stale window (RFC 5861 §3)
  CHECK(curl_h2(etagd.port(), "/doc").body == "version 1");
  version = 2;
  std::this_thread::sleep_for(2100ms);

  CurlAnswer stale = curl_h2(etagd.port(), "/doc");
  CHECK(stale.headers.get("x-cache") == "STALE");
  CHECK(stale.body == "version 1");
  // The refresh made from the HTTP/2 request's fields reaches the origin as HTTP/1.1.
  REQUIRE(origin.wait_for_requests("/doc", 2, 2000ms));
  CHECK(origin.last_request()->headers.get("Host") == "127.0.0.1:" + std::to_string(etagd.port()));
  CHECK(eventually([&] { return curl_h2(etagd.port(), "/doc").body == "version 2"; }, 2000ms));
  CHECK(origin.request_count("/doc") == 2);
}

TEST_CASE("over HTTP/2 an unreachable upstream gets etagd's own 502 with its reason") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin);
  origin.stop();  // from now on its port refuses connections
  CurlAnswer a = curl_h2(etagd.port(), "/api/down");
  CHECK(a.protocol == "HTTP/2");
  CHECK(a.status == 502);
  CHECK(a.body.starts_with("502 Bad Gateway: "));
  CHECK(a.headers.get("content-type") == "text/plain; charset=utf-8");
}

}  // namespace
}  // namespace etagd::testing
