// Interim responses (RFC 9110 §15.2): a 103 Early Hints or 102 from the origin reaches the
// client before the final response; 100 Continue stays etagd's own business; nothing interim
// is stored or replayed, and an HTTP/1.0 client never sees one.
#include <doctest/doctest.h>

#include "support/origin_scripts.h"
#include "support/proxy_harness.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

OriginHandler hints_then(int status, HeaderFields fields, std::string body) {
  return [=](const OriginRequest&, OriginReply& r) {
    r.interim(103, {{"Link", "</style.css>; rel=preload; as=style"}});
    r.interim(102);
    r.reply(status, fields, body);
  };
}

}  // namespace

TEST_CASE("RFC 9110 15.2: 103 Early Hints and 102 from the origin reach the client first") {
  ScriptedOrigin origin;
  origin.route("/page", hints_then(201, {}, "created"));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/page");
  CHECK(r.status == 201);
  CHECK(r.body == "created");
  REQUIRE(r.interim.size() == 2);
  CHECK(r.interim[0].status == 103);
  CHECK(r.interim[0].headers.get("Link") == "</style.css>; rel=preload; as=style");
  CHECK(r.interim[1].status == 102);
  // The connection goes on as before.
  CHECK(c.get("/page").status == 201);
}

TEST_CASE("a 100 Continue from the origin is not relayed: etagd answers Expect itself") {
  ScriptedOrigin origin;
  origin.route("/continue", script::interim_then_final(100, 200, {}, "final"));
  Proxy proxy(origin);
  HttpResponse r = proxy.client().get("/continue");
  CHECK(r.status == 200);
  CHECK(r.interim.empty());
}

TEST_CASE("interim responses are never stored: a hit has none") {
  ScriptedOrigin origin;
  origin.route("/doc", hints_then(200, {{"Cache-Control", "max-age=60"}}, "doc"));
  ProxySettings caching;
  caching.defaults = "cache: store";
  Proxy proxy(origin, caching);
  HttpClient c = proxy.client();
  HttpResponse first = c.get("/doc");
  CHECK(first.interim.size() == 2);
  HttpResponse hit = c.get("/doc");
  CHECK(hit.headers.get("X-Cache") == "HIT");
  CHECK(hit.interim.empty());
  CHECK(origin.request_count("/doc") == 1);
}

TEST_CASE("RFC 9110 15.2: an HTTP/1.0 client gets no interim response") {
  ScriptedOrigin origin;
  origin.route("/page", hints_then(200, {}, "page"));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw("GET /page HTTP/1.0\r\n\r\n");
  HttpResponse r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.interim.empty());
  CHECK(r.body == "page");
}

TEST_CASE("interim fields that describe the origin's connection are not relayed") {
  ScriptedOrigin origin;
  origin.route("/page", [](const OriginRequest&, OriginReply& r) {
    r.interim(103, {{"Link", "</a.js>; rel=preload"}, {"Connection", "X-Hop"}, {"X-Hop", "1"},
                    {"Keep-Alive", "timeout=5"}});
    r.reply(200, {}, "page");
  });
  Proxy proxy(origin);
  HttpResponse r = proxy.client().get("/page");
  REQUIRE(r.interim.size() == 1);
  CHECK(r.interim[0].headers.get("Link") == "</a.js>; rel=preload");
  CHECK_FALSE(r.interim[0].headers.contains("X-Hop"));
  CHECK_FALSE(r.interim[0].headers.contains("Connection"));
  CHECK_FALSE(r.interim[0].headers.contains("Keep-Alive"));
}
