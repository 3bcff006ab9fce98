// Header hygiene: hop-by-hop fields (RFC 9110 §7.6.1) stop at etagd in both
// directions, X-Forwarded-For / X-Forwarded-Proto / Via (§7.6.3) are added, and Host is
// forwarded or rewritten as configured.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/proxy_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

// A Connection field may stay, but only with the options that concern the next hop.
void check_connection_field_clean(const HeaderFields& fields) {
  for (const std::string& value : fields.all("Connection")) {
    CHECK_MESSAGE((iequals(value, "keep-alive") || iequals(value, "close")), "Connection: ", value);
  }
}

const OriginRequest& only_request(const ScriptedOrigin& origin, std::vector<OriginRequest>& keep) {
  keep = origin.requests();
  REQUIRE(keep.size() == 1);
  return keep[0];
}

}  // namespace

TEST_CASE("hop-by-hop request fields, and those Connection lists, never reach the origin") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw(
      "GET /hop HTTP/1.1\r\n"
      "Host: api.example.com\r\n"
      "Connection: keep-alive, X-Hop-Listed\r\n"
      "Connection: X-Second-Listed\r\n"
      "X-Hop-Listed: secret\r\n"
      "X-Second-Listed: secret too\r\n"
      "Keep-Alive: timeout=5\r\n"
      "TE: trailers\r\n"
      "Trailer: X-Checksum\r\n"
      "Upgrade: websocket\r\n"
      "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
      "Proxy-Connection: keep-alive\r\n"
      "X-End-To-End: kept\r\n"
      "Accept: text/plain\r\n"
      "Accept: application/json\r\n"
      "\r\n");
  CHECK(c.read_response().status == 200);
  std::vector<OriginRequest> keep;
  const OriginRequest& seen = only_request(origin, keep);
  for (const char* name :
       {"X-Hop-Listed", "X-Second-Listed", "Keep-Alive", "TE", "Trailer", "Upgrade",
        "Proxy-Authorization", "Proxy-Connection", "Transfer-Encoding"}) {
    CHECK_MESSAGE(!seen.headers.contains(name), name, " reached the origin:\n", seen.raw_head);
  }
  check_connection_field_clean(seen.headers);
  CHECK(seen.headers.get("X-End-To-End") == "kept");
  CHECK(seen.headers.all("Accept") == std::vector<std::string>{"text/plain", "application/json"});
}

TEST_CASE("hop-by-hop response fields, and those Connection lists, never reach the client") {
  ScriptedOrigin origin;
  origin.route("/hop", script::respond(200,
                                       {{"Connection", "X-Resp-Listed"},
                                        {"X-Resp-Listed", "secret"},
                                        {"Keep-Alive", "timeout=5, max=100"},
                                        {"Proxy-Authenticate", "Basic realm=\"x\""},
                                        {"Proxy-Connection", "keep-alive"},
                                        {"Trailer", "X-Checksum"},
                                        {"Upgrade", "h2c"},
                                        {"TE", "trailers"},
                                        {"X-End-To-End", "kept"},
                                        {"Set-Cookie", "a=1"},
                                        {"Set-Cookie", "b=2"}},
                                       "body"));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/hop");
  CHECK(r.status == 200);
  for (const char* name : {"X-Resp-Listed", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection",
                           "Trailer", "Upgrade", "TE", "Transfer-Encoding"}) {
    CHECK_MESSAGE(!r.headers.contains(name), name, " reached the client:\n", r.raw_head);
  }
  check_connection_field_clean(r.headers);
  CHECK(r.headers.get("X-End-To-End") == "kept");
  CHECK(r.headers.all("Set-Cookie") == std::vector<std::string>{"a=1", "b=2"});
  CHECK(r.body == "body");
  CHECK(r.keeps_alive());  // the origin's Connection field did not leak into this hop
}

TEST_CASE("etagd writes exactly one Date (the origin's), one framing field and its own chunking") {
  ScriptedOrigin origin;
  origin.route("/plain", script::respond(200, {{"Date", "Thu, 01 Jan 1970 00:00:00 GMT"}}, "x"));
  origin.route("/chunks", script::respond_chunked(200, {}, {"a", "b"}));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse plain = c.get("/plain");
  CHECK(plain.headers.count("Date") == 1);
  // RFC 9110 6.6.1: Date is when the origin generated the message; etagd relays it.
  CHECK(plain.headers.get("Date") == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(plain.headers.count("Content-Length") == 1);
  CHECK_FALSE(plain.headers.contains("Transfer-Encoding"));
  HttpResponse chunked = c.get("/chunks");
  CHECK(chunked.headers.all("Transfer-Encoding") == std::vector<std::string>{"chunked"});
  CHECK_FALSE(chunked.headers.contains("Content-Length"));
  CHECK(chunked.body == "ab");
}

TEST_CASE("X-Forwarded-For names the client, X-Forwarded-Proto says http, Via names etagd") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  CHECK(http_get(proxy.port(), "/plain").status == 200);
  std::vector<OriginRequest> keep;
  const OriginRequest& seen = only_request(origin, keep);
  CHECK(seen.headers.all("X-Forwarded-For") == std::vector<std::string>{"127.0.0.1"});
  CHECK(seen.headers.all("X-Forwarded-Proto") == std::vector<std::string>{"http"});
  CHECK(seen.headers.all("Via") == std::vector<std::string>{"1.1 etagd"});
}

TEST_CASE("an untrusted client's X-Forwarded-* are not believed, Via keeps every hop") {
  // Without trusted_proxies nobody speaks for anybody: a client cannot forge its address,
  // claim TLS, or name another host to the API behind.
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpResponse r = http_get(proxy.port(), "/chain",
                            {{"X-Forwarded-For", "203.0.113.9"},
                             {"X-Forwarded-Proto", "https"},
                             {"X-Forwarded-Host", "evil.example"},
                             {"X-Forwarded-Port", "443"},
                             {"Forwarded", "for=203.0.113.9;proto=https"},
                             {"Via", "1.0 edge"}});
  CHECK(r.status == 200);
  std::vector<OriginRequest> keep;
  const OriginRequest& seen = only_request(origin, keep);
  CHECK(seen.headers.all("X-Forwarded-For") == std::vector<std::string>{"127.0.0.1"});
  CHECK(seen.headers.all("X-Forwarded-Proto") == std::vector<std::string>{"http"});
  CHECK(seen.headers.all("X-Forwarded-Host") == std::vector<std::string>{seen.headers.get("Host")});
  CHECK(seen.headers.all("X-Forwarded-Port") ==
        std::vector<std::string>{std::to_string(proxy.port())});
  CHECK_FALSE(seen.headers.contains("Forwarded"));
  CHECK(seen.headers.all("Via") == std::vector<std::string>{"1.0 edge, 1.1 etagd"});
}

TEST_CASE("a trusted proxy's X-Forwarded-* are kept and its X-Forwarded-For extended") {
  // The TLS terminator in front says the client used https: the API behind must hear so, or
  // its redirects and secure cookies break.
  ScriptedOrigin origin;
  ProxySettings s;
  s.extra = "trusted_proxies: [127.0.0.1]\n";
  Proxy proxy(origin, s);
  HttpResponse r = http_get(proxy.port(), "/chain",
                            {{"X-Forwarded-For", "203.0.113.9"},
                             {"X-Forwarded-For", "198.51.100.2"},
                             {"X-Forwarded-Proto", "https"},
                             {"X-Forwarded-Host", "api.example"},
                             {"X-Forwarded-Port", "443"},
                             {"Via", "1.0 edge"},
                             {"Via", "1.1 middle"}});
  CHECK(r.status == 200);
  std::vector<OriginRequest> keep;
  const OriginRequest& seen = only_request(origin, keep);
  // RFC 9110 §5.3: several lines of a list field mean the same as one comma-joined line.
  CHECK(seen.headers.combined("X-Forwarded-For") == "203.0.113.9, 198.51.100.2, 127.0.0.1");
  CHECK(seen.headers.all("X-Forwarded-Proto") == std::vector<std::string>{"https"});
  CHECK(seen.headers.all("X-Forwarded-Host") == std::vector<std::string>{"api.example"});
  CHECK(seen.headers.all("X-Forwarded-Port") == std::vector<std::string>{"443"});
  CHECK(seen.headers.combined("Via") == "1.0 edge, 1.1 middle, 1.1 etagd");
}

TEST_CASE("upstream.forwarded: rfc7239 adds a Forwarded element, after a trusted proxy's own") {
  ScriptedOrigin origin;
  ProxySettings untrusted;
  untrusted.upstream = "forwarded: rfc7239";
  {
    Proxy proxy(origin, untrusted);
    CHECK(http_get(proxy.port(), "/f", {{"Host", "api.example:8080"},
                                        {"Forwarded", "for=6.6.6.6"}}).status == 200);
    std::vector<OriginRequest> keep;
    const OriginRequest& seen = only_request(origin, keep);
    CHECK(seen.headers.all("Forwarded") ==
          std::vector<std::string>{"for=127.0.0.1;proto=http;host=\"api.example:8080\""});
  }
  origin.clear_requests();
  ProxySettings trusted = untrusted;
  trusted.extra = "trusted_proxies: [127.0.0.0/8]\n";
  Proxy proxy(origin, trusted);
  CHECK(http_get(proxy.port(), "/f", {{"Host", "api"}, {"Forwarded", "for=192.0.2.60;proto=https"}})
            .status == 200);
  std::vector<OriginRequest> keep;
  const OriginRequest& seen = only_request(origin, keep);
  CHECK(seen.headers.combined("Forwarded") ==
        "for=192.0.2.60;proto=https, for=127.0.0.1;proto=http;host=api");
}

TEST_CASE("Via on requests from an HTTP/1.0 client says 1.0") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  c.send_raw("GET /old HTTP/1.0\r\n\r\n");
  CHECK(c.read_response().status == 200);
  REQUIRE(origin.last_request());
  CHECK(origin.last_request()->headers.get("Via") == "1.0 etagd");
}

TEST_CASE("responses carry Via with etagd added after the origin's own") {
  ScriptedOrigin origin;
  origin.route("/via", script::respond(200, {{"Via", "1.1 origin-cache"}}, "x"));
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse plain = c.get("/plain");
  CHECK(plain.headers.combined("Via") == "1.1 etagd");
  HttpResponse chained = c.get("/via");
  CHECK(chained.headers.combined("Via") == "1.1 origin-cache, 1.1 etagd");
  // Error answers etagd makes itself come from etagd too, but need no Via: not asserted.
}

TEST_CASE("Host is forwarded as the client sent it by default") {
  ScriptedOrigin origin;
  Proxy proxy(origin);
  CHECK(http_get(proxy.port(), "/h", {{"Host", "api.example.com"}}).status == 200);
  std::vector<OriginRequest> keep;
  const OriginRequest& seen = only_request(origin, keep);
  CHECK(seen.headers.all("Host") == std::vector<std::string>{"api.example.com"});
}

TEST_CASE("host_header: upstream sends the upstream URL's authority as Host") {
  ScriptedOrigin origin;
  ProxySettings s;
  s.upstream = "host_header: upstream";
  Proxy proxy(origin, s);
  CHECK(http_get(proxy.port(), "/h", {{"Host", "api.example.com"}}).status == 200);
  std::vector<OriginRequest> keep;
  const OriginRequest& seen = only_request(origin, keep);
  CHECK(seen.headers.all("Host") == std::vector<std::string>{origin.authority()});
}

TEST_CASE("host_header with a literal sends that literal as Host") {
  ScriptedOrigin origin;
  ProxySettings s;
  s.upstream = "host_header: \"api.internal:8443\"";
  Proxy proxy(origin, s);
  CHECK(http_get(proxy.port(), "/h", {{"Host", "api.example.com"}}).status == 200);
  std::vector<OriginRequest> keep;
  const OriginRequest& seen = only_request(origin, keep);
  CHECK(seen.headers.all("Host") == std::vector<std::string>{"api.internal:8443"});
}

TEST_CASE("the upstream URL's base path is prefixed to every target, query kept") {
  ScriptedOrigin origin;
  ProxySettings s;
  s.base_path = "/v2/";
  Proxy proxy(origin, s);
  CHECK(http_get(proxy.port(), "/items?page=2&sort=asc").status == 200);
  std::vector<OriginRequest> keep;
  const OriginRequest& seen = only_request(origin, keep);
  CHECK(seen.target == "/v2/items?page=2&sort=asc");
}

}  // namespace etagd::testing

namespace etagd::testing {

TEST_CASE("behind trusted proxies the access log names the right-most untrusted hop") {
  ScriptedOrigin origin;
  ProxySettings s;
  s.extra = "trusted_proxies: [127.0.0.1, 10.0.0.0/8]\nlog: { access_log: stdout }\n";
  Proxy proxy(origin, s);
  // 6.6.6.6 is what the client claimed; 203.0.113.9 is who the load balancer (10.0.0.5) saw.
  CHECK(http_get(proxy.port(), "/whoami",
                 {{"X-Forwarded-For", "6.6.6.6, 203.0.113.9, 10.0.0.5"}})
            .status == 200);
  CHECK(proxy.process().wait_for_log("\"GET /whoami ", 3000ms));
  std::string log = proxy.log();
  size_t line = log.find("\"GET /whoami ");
  REQUIRE(line != std::string::npos);
  size_t start = log.rfind('\n', line) + 1;
  CHECK(log.substr(start, line - start).find(" 203.0.113.9 ") != std::string::npos);
}

}  // namespace etagd::testing
