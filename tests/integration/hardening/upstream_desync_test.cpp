// A misbehaving upstream never desynchronises a pooled connection.
//
// Whatever an origin sends that etagd cannot frame with certainty (two Content-Lengths, a
// garbage status line, an obfuscated Transfer-Encoding, bytes beyond the declared body, a body
// on a 204 or 304) ends that upstream connection: the next request, from another client, goes
// out on a new connection and gets its own answer, never the leftover bytes of the previous
// one. Each case checks the origin side of that promise: the misbehaving connection is closed
// by etagd, and the next request arrived on a different connection.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "process_probe.h"
#include "support/proxy_harness.h"

namespace etagd::testing {
namespace {

using namespace std::string_literals;

// What an origin route does: the first request gets `raw` (written as is, the connection left
// open), every later one a proper answer naming its connection. Records whether etagd closed
// the connection it sent `raw` on.
class MisbehavingRoute {
 public:
  explicit MisbehavingRoute(std::string raw) : state_(std::make_shared<State>()) {
    state_->raw = std::move(raw);
  }

  OriginHandler handler() const {
    std::shared_ptr<State> s = state_;
    return [s](const OriginRequest& req, OriginReply& r) {
      if (!s->misbehaved.exchange(true)) {
        r.write_raw(s->raw);
        // Leave the connection open: whether it is used again is etagd's decision.
        s->closed_by_etagd = r.wait_peer_closed(3000ms);
        r.close();
        return;
      }
      r.reply(200, {{"Cache-Control", "no-store"}},
              "answer on connection " + std::to_string(req.connection_id));
    };
  }
  bool closed_by_etagd() const { return state_->closed_by_etagd; }

 private:
  struct State {
    std::string raw;
    std::atomic<bool> misbehaved{false};
    std::atomic<bool> closed_by_etagd{false};
  };
  std::shared_ptr<State> state_;
};

struct Misbehaviour {
  const char* what;
  std::string raw;          // the first response's bytes
  int status;               // what the first client gets
  std::string body;         // and its body, when status is 200
};

std::vector<Misbehaviour> misbehaviours() {
  return {
      {"two different Content-Length values",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 47\r\n\r\nhello"
       "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
       502, ""},
      {"two equal Content-Length values",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 502, ""},
      {"a Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", 502, ""},
      {"a signed Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", 502, ""},
      {"a garbage status line, connection kept open",
       "HTTP/1.1 OOPS\r\nContent-Length: 5\r\n\r\nhello", 502, ""},
      {"a status line that is not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", 502, ""},
      {"a status code with four digits", "HTTP/1.1 2000 OK\r\nContent-Length: 5\r\n\r\nhello",
       502, ""},
      {"Transfer-Encoding: chunked followed by a space",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked \r\n\r\n5\r\nhello\r\n0\r\n\r\n", 502, ""},
      {"Transfer-Encoding: xchunked with a Content-Length",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello", 502,
       ""},
      {"a header hidden behind a bare CR (CVE-2023-30589)",
       "HTTP/1.1 200 OK\r\nX-A: \rTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
       502, ""},
      {"bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello", 502, ""},
      {"a NUL byte in a field value", "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 5\r\n\r\nhello"s,
       502, ""},
      {"a body longer than its Content-Length",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
       "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
       200, "hello"},
      {"bytes after the last chunk",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
       200, "hello"},
      {"a 204 with a body",
       "HTTP/1.1 204 No Content\r\nContent-Length: 47\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
       204, ""},
      {"a 304 with a body",
       "HTTP/1.1 304 Not Modified\r\nContent-Length: 47\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
       304, ""},
  };
}

}  // namespace

TEST_CASE("a misbehaving response ends its upstream connection, the next request gets its own") {
  ScriptedOrigin origin;
  ProxySettings s;
  s.timeouts = "upstream_read: 2s";
  std::vector<Misbehaviour> cases = misbehaviours();
  std::vector<MisbehavingRoute> routes;
  for (size_t i = 0; i < cases.size(); ++i) {
    routes.emplace_back(cases[i].raw);
    origin.route("/case/" + std::to_string(i), routes.back().handler());
  }
  Proxy proxy(origin, s);

  for (size_t i = 0; i < cases.size(); ++i) {
    const Misbehaviour& m = cases[i];
    CAPTURE(m.what);
    std::string path = "/case/" + std::to_string(i);
    origin.clear_requests();

    HttpResponse first = http_get(proxy.port(), path);
    CHECK(first.status == m.status);
    if (m.status == 200) {
      CHECK(first.body == m.body);
      CHECK(first.complete);
    }
    if (m.status == 204 || m.status == 304) CHECK(first.body.empty());

    // Another client, the same route: a new upstream connection, the route's proper answer.
    HttpClient other = proxy.client();
    HttpResponse second = other.get(path);
    CHECK(second.status == 200);
    std::vector<OriginRequest> seen = origin.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].connection_id != seen[0].connection_id);
    CHECK(second.body == "answer on connection " + std::to_string(seen[1].connection_id));
    CHECK(other.read_some(50ms).empty());  // nothing left over follows the answer
    CHECK(eventually([&] { return routes[i].closed_by_etagd(); }, 3000ms));
  }
}

TEST_CASE("a stored response ends at its Content-Length, not at the bytes that follow it") {
  // The body is buffered to be hashed and stored: what goes into the cache is what the
  // Content-Length delimits, and the connection with the extra bytes is not pooled.
  ScriptedOrigin origin;
  MisbehavingRoute overlong(
      "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n\r\nhello"
      "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled");
  origin.route("/api/overlong", overlong.handler());
  ProxySettings s;
  s.defaults = "cache: store";
  Proxy proxy(origin, s);

  HttpResponse miss = http_get(proxy.port(), "/api/overlong");
  CHECK(miss.status == 200);
  CHECK(miss.body == "hello");
  CHECK(miss.headers.get("X-Cache") == "MISS");
  HttpResponse hit = http_get(proxy.port(), "/api/overlong");
  CHECK(hit.body == "hello");
  CHECK(hit.headers.get("X-Cache") == "HIT");
  CHECK(hit.headers.get("ETag") == miss.headers.get("ETag"));
  CHECK(eventually([&] { return overlong.closed_by_etagd(); }, 3000ms));

  HttpResponse other = http_get(proxy.port(), "/api/other");
  CHECK(other.body == "{\"method\":\"GET\",\"target\":\"/api/other\"}");
  std::vector<OriginRequest> seen = origin.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].connection_id != seen[0].connection_id);
}

TEST_CASE("framing fields an upstream names in Connection do not unframe its response") {
  // RFC 9110 §7.6.1: Connection lists hop-by-hop fields. Dropping a listed Content-Length and
  // relaying the rest would leave the client's copy without framing.
  ScriptedOrigin origin;
  origin.route("/listed", [](const OriginRequest&, OriginReply& r) {
    r.write_raw(
        "HTTP/1.1 200 OK\r\nConnection: Content-Length, Transfer-Encoding\r\n"
        "Content-Length: 5\r\n\r\nhello");
  });
  Proxy proxy(origin);
  HttpClient c = proxy.client();
  HttpResponse r = c.get("/listed");
  CHECK(r.status == 200);
  CHECK(r.body == "hello");
  CHECK(r.complete);
  CHECK(r.framing != BodyFraming::until_close);
  HttpResponse next = c.get("/next");
  CHECK(next.body == "{\"method\":\"GET\",\"target\":\"/next\"}");
}

}  // namespace etagd::testing
