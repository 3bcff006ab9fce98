#include "ops/admin_server.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cache/cache_key.h"
#include "config/config_loader.h"
#include "unit/ops/helpers.h"

namespace etagd::ops {
namespace {

using test::raw_exchange;
using test::RawResponse;
using test::request;

// A running admin server on a free port over a real cache, with the gauges and the purge
// hook under the test's control.
struct Fixture {
  cache::CacheStore store{cache::CacheStoreOptions{1 << 20, 4}};
  Metrics metrics{2};
  std::atomic<bool> draining{false};
  std::shared_ptr<const config::Config> config;
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> purges;  // (kind, value) seen by the hook
  std::unique_ptr<AdminServer> server;

  Fixture() {
    config::LoadResult loaded = config::load_config_text(
        "listen: 127.0.0.1:8080\n"
        "upstream: { url: http://127.0.0.1:9000 }\n"
        "rules:\n"
        "  - match: { prefix: /api/ }\n"
        "    ttl: 60s\n",
        "admin-test.yaml");
    REQUIRE(loaded.ok());
    config = loaded.config;
    AdminDeps deps{
        .cache = store,
        .metrics = metrics,
        .gauges =
            [this] {
              ProcessGauges g;
              g.draining = draining.load();
              return g;
            },
        .config = [this] { return config; },
        .on_purge =
            [this](std::string_view kind, std::string_view value) {
              std::lock_guard lock(mu);
              purges.emplace_back(kind, value);
            },
        .url_key = {},
    };
    server = std::make_unique<AdminServer>(std::move(deps),
                                           config::ListenAddress{"127.0.0.1", 0, "127.0.0.1:0"});
    base::Status s = server->start();
    REQUIRE_MESSAGE(s.is_ok(), s.message());
    REQUIRE(server->port() != 0);
  }

  uint16_t port() const { return server->port(); }

  void store_response(std::string_view host, std::string_view target,
                      cache::Scheme scheme = cache::Scheme::Http) {
    cache::ResponseToStore r;
    r.status = 200;
    r.header_block = "Content-Type: text/plain\r\n";
    r.etag = "\"abc\"";
    r.freshness.lifetime = std::chrono::seconds(60);
    r.body = "hello";
    REQUIRE(store.insert(
        cache::CacheEntry::make(cache::make_url_key(host, target, scheme), std::move(r))));
  }

  bool cached(std::string_view host, std::string_view target,
              cache::Scheme scheme = cache::Scheme::Http) {
    http::HeaderList none;
    return store.lookup(cache::make_url_key(host, target, scheme), none).entry != nullptr;
  }
};

bool has_header(const RawResponse& r, std::string_view line) {
  return r.head.find(std::string(line) + "\r\n") != std::string::npos;
}

TEST_CASE("GET /metrics answers the Prometheus exposition with cache and request counters") {
  Fixture f;
  f.store_response("api.example.com", "/api/a");
  ExchangeRecord r;
  r.method = http::Method::Get;
  r.status = 200;
  r.cache_status = CacheStatus::Miss;
  f.metrics.worker(1).record_exchange(r);

  RawResponse res = request(f.port(), "GET", "/metrics");
  CHECK(res.status == 200);
  CHECK(has_header(res, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
  CHECK(has_header(res, "Connection: close"));
  CHECK(has_header(res, "Content-Length: " + std::to_string(res.body.size())));
  CHECK(res.body.find("\netagd_cache_entries 1\n") != std::string::npos);
  CHECK(res.body.find("\netagd_cache_max_bytes 1048576\n") != std::string::npos);
  CHECK(res.body.find("etagd_requests_total{method=\"GET\",status=\"2xx\",cache=\"MISS\"} 1\n") !=
        std::string::npos);

  f.metrics.worker(0).record_exchange(r);
  res = request(f.port(), "GET", "/metrics");
  CHECK(res.body.find("etagd_requests_total{method=\"GET\",status=\"2xx\",cache=\"MISS\"} 2\n") !=
        std::string::npos);
}

TEST_CASE("GET /healthz is 200 while serving and 503 while draining") {
  Fixture f;
  RawResponse res = request(f.port(), "GET", "/healthz");
  CHECK(res.status == 200);
  CHECK(res.body == "ok\n");
  f.draining = true;
  res = request(f.port(), "GET", "/healthz");
  CHECK(res.status == 503);
  CHECK(res.body == "draining\n");
}

TEST_CASE("HEAD answers the headers of GET without the body") {
  Fixture f;
  RawResponse res = request(f.port(), "HEAD", "/healthz");
  CHECK(res.status == 200);
  CHECK(has_header(res, "Content-Length: 3"));
  CHECK(res.body.empty());
}

TEST_CASE("GET /config shows the running configuration as JSON") {
  Fixture f;
  RawResponse res = request(f.port(), "GET", "/config");
  CHECK(res.status == 200);
  CHECK(has_header(res, "Content-Type: application/json"));
  CHECK(res.body.find("\"url\": \"http://127.0.0.1:9000\"") != std::string::npos);
  CHECK(res.body.find("\"prefix\": \"/api/\"") != std::string::npos);
  CHECK(res.body.find("\"ttl\": \"1m\"") != std::string::npos);
}

TEST_CASE("POST /purge?url= removes that URL, answers the count, and the next lookup misses") {
  Fixture f;
  f.store_response("api.example.com", "/api/items/1");
  f.store_response("api.example.com", "/api/items/2");
  REQUIRE(f.cached("api.example.com", "/api/items/1"));

  RawResponse res =
      request(f.port(), "POST", "/purge?url=http%3A%2F%2Fapi.example.com%2Fapi%2Fitems%2F1");
  CHECK(res.status == 200);
  CHECK(has_header(res, "Content-Type: application/json"));
  CHECK(res.body == "{\"purged\":1,\"key\":\"api.example.com/api/items/1\"}\n");
  CHECK_FALSE(f.cached("api.example.com", "/api/items/1"));
  CHECK(f.cached("api.example.com", "/api/items/2"));

  // Gone already: nothing more to purge, still a success.
  res = request(f.port(), "POST", "/purge?url=http://api.example.com/api/items/1");
  CHECK(res.body == "{\"purged\":0,\"key\":\"api.example.com/api/items/1\"}\n");

  std::lock_guard lock(f.mu);
  REQUIRE(f.purges.size() == 2);
  CHECK(f.purges[0] == std::pair<std::string, std::string>("url", "api.example.com/api/items/1"));
}

TEST_CASE("a purge by path applies to every host, and host= narrows it to one") {
  Fixture f;
  f.store_response("api.example.com", "/api/items/1?x=1");
  f.store_response("127.0.0.1:8080", "/api/items/1?x=1");
  f.store_response("localhost:8080", "/api/items/1?x=1");
  f.store_response("localhost:8080", "/api/items/1");
  RawResponse res = request(f.port(), "POST", "/purge?url=/api/items/1%3Fx%3D1&host=API.example.com:80");
  CHECK(res.status == 200);
  CHECK(res.body == "{\"purged\":1,\"key\":\"api.example.com/api/items/1?x=1\"}\n");
  CHECK_FALSE(f.cached("api.example.com", "/api/items/1?x=1"));
  CHECK(f.cached("127.0.0.1:8080", "/api/items/1?x=1"));

  res = request(f.port(), "POST", "/purge?url=/api/items/1%3Fx%3D1");
  CHECK(res.status == 200);
  CHECK(res.body == "{\"purged\":2,\"target\":\"/api/items/1?x=1\"}\n");
  CHECK_FALSE(f.cached("127.0.0.1:8080", "/api/items/1?x=1"));
  CHECK_FALSE(f.cached("localhost:8080", "/api/items/1?x=1"));
  CHECK(f.cached("localhost:8080", "/api/items/1"));
  std::lock_guard lock(f.mu);
  // A host and a path name no scheme: the http and the https key are each published.
  REQUIRE(f.purges.size() == 3);
  CHECK(f.purges[1] ==
        std::pair<std::string, std::string>("url", "https://api.example.com:80/api/items/1?x=1"));
  CHECK(f.purges[2] == std::pair<std::string, std::string>("target", "/api/items/1?x=1"));
}

TEST_CASE("a full URL purges only that scheme's entry: an https URL leaves the http one") {
  using cache::Scheme;
  Fixture f;
  f.store_response("h.example", "/p");
  f.store_response("h.example", "/p", Scheme::Https);
  RawResponse res = request(f.port(), "POST", "/purge?url=https://h.example/p");
  CHECK(res.body == "{\"purged\":1,\"key\":\"https://h.example/p\"}\n");
  CHECK(f.cached("h.example", "/p"));
  f.store_response("h.example", "/p", Scheme::Https);
  res = request(f.port(), "POST", "/purge?url=http://h.example/p");
  CHECK(res.body == "{\"purged\":1,\"key\":\"h.example/p\"}\n");
  CHECK(f.cached("h.example", "/p", Scheme::Https));
  // A host and a path name no scheme: both entries go.
  f.store_response("h.example", "/p");
  res = request(f.port(), "POST", "/purge?host=h.example&url=/p");
  CHECK(res.body.find("\"purged\":2") != std::string::npos);
  CHECK_FALSE(f.cached("h.example", "/p", Scheme::Https));
}

TEST_CASE("a full URL purges that host, with the scheme's default port the same as none") {
  using cache::Scheme;
  Fixture f;
  f.store_response("api.example.com", "/a");
  f.store_response("api.example.com", "/b", Scheme::Https);
  f.store_response("api.example.com:8443", "/a", Scheme::Https);
  RawResponse res = request(f.port(), "POST", "/purge?url=http://API.Example.com:80/a");
  CHECK(res.body == "{\"purged\":1,\"key\":\"api.example.com/a\"}\n");
  res = request(f.port(), "POST", "/purge?url=https://api.example.com:443/b");
  CHECK(res.body == "{\"purged\":1,\"key\":\"https://api.example.com/b\"}\n");
  CHECK(f.cached("api.example.com:8443", "/a", Scheme::Https));
  res = request(f.port(), "POST", "/purge?url=https://api.example.com:8443/a");
  CHECK(res.body == "{\"purged\":1,\"key\":\"https://api.example.com:8443/a\"}\n");
  // host= that names the same host as the URL, in other words, is not a disagreement.
  f.store_response("api.example.com", "/c");
  res = request(f.port(), "POST", "/purge?url=http://api.example.com/c&host=API.EXAMPLE.COM:80");
  CHECK(res.body == "{\"purged\":1,\"key\":\"api.example.com/c\"}\n");
}

TEST_CASE("POST /purge?prefix= removes every entry under the prefix on every host") {
  Fixture f;
  f.store_response("a.example.com", "/api/uploads/1");
  f.store_response("b.example.com", "/api/uploads/2");
  f.store_response("a.example.com", "/api/items/1");
  RawResponse res = request(f.port(), "POST", "/purge?prefix=/api/uploads/");
  CHECK(res.status == 200);
  CHECK(res.body == "{\"purged\":2,\"prefix\":\"/api/uploads/\"}\n");
  CHECK_FALSE(f.cached("a.example.com", "/api/uploads/1"));
  CHECK_FALSE(f.cached("b.example.com", "/api/uploads/2"));
  CHECK(f.cached("a.example.com", "/api/items/1"));
  std::lock_guard lock(f.mu);
  REQUIRE(f.purges.size() == 1);
  CHECK(f.purges[0] == std::pair<std::string, std::string>("prefix", "/api/uploads/"));
}

TEST_CASE("the PURGE method works on /purge and, Varnish style, on the path itself") {
  Fixture f;
  f.store_response("a.example.com", "/api/x");
  f.store_response("a.example.com", "/api/y?z=1");
  RawResponse res = request(f.port(), "PURGE", "/purge?prefix=/api/x");
  CHECK(res.status == 200);
  CHECK(res.body == "{\"purged\":1,\"prefix\":\"/api/x\"}\n");

  // Varnish style: the path on every host; the request's Host is the admin listener's.
  f.store_response("b.example.com", "/api/y?z=1");
  res = request(f.port(), "PURGE", "/api/y?z=1", "Host: 127.0.0.1:9091\r\n");
  CHECK(res.status == 200);
  CHECK(res.body == "{\"purged\":2,\"target\":\"/api/y?z=1\"}\n");
  CHECK_FALSE(f.cached("a.example.com", "/api/y?z=1"));
  CHECK_FALSE(f.cached("b.example.com", "/api/y?z=1"));
}

TEST_CASE("malformed purges answer 400 with a JSON error and purge nothing") {
  Fixture f;
  f.store_response("a.example.com", "/api/x");
  for (const char* target :
       {"/purge", "/purge?url=http://a.example.com/api/x&prefix=/api/", "/purge?prefix=api/",
        "/purge?url=ftp://a.example.com/api/x", "/purge?url=http://user@a.example.com/api/x",
        "/purge?url=http://a.example.com/api/x&host=b.example.com"}) {
    CAPTURE(target);
    RawResponse res = request(f.port(), "POST", target);
    CHECK(res.status == 400);
    CHECK(res.body.rfind("{\"error\":", 0) == 0);
  }
  CHECK(f.cached("a.example.com", "/api/x"));
  std::lock_guard lock(f.mu);
  CHECK(f.purges.empty());
}

TEST_CASE("unknown paths answer 404 and known paths with the wrong method 405 with Allow") {
  Fixture f;
  CHECK(request(f.port(), "GET", "/").status == 404);
  CHECK(request(f.port(), "GET", "/metrics/extra").status == 404);
  CHECK(request(f.port(), "POST", "/api/items/1").status == 404);

  RawResponse res = request(f.port(), "POST", "/metrics");
  CHECK(res.status == 405);
  CHECK(has_header(res, "Allow: GET, HEAD"));
  res = request(f.port(), "GET", "/purge?prefix=/");
  CHECK(res.status == 405);
  CHECK(has_header(res, "Allow: POST, PURGE"));
  CHECK(f.purges.empty());
}

TEST_CASE("a request body is read and ignored, parameters come from the query") {
  Fixture f;
  f.store_response("a.example.com", "/api/x");
  RawResponse res = test::parse_response(raw_exchange(
      f.port(),
      "POST /purge?prefix=/api/ HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\n\r\nprefix=/other/"));
  CHECK(res.status == 200);
  CHECK(res.body == "{\"purged\":1,\"prefix\":\"/api/\"}\n");
}

TEST_CASE("a malformed or oversized request head is refused and the connection closed") {
  Fixture f;
  CHECK(test::parse_response(
            raw_exchange(f.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n"))
            .status == 400);
  CHECK(test::parse_response(raw_exchange(f.port(), "GET /metrics HTTP/1.1\r\n\r\n")).status ==
        400);  // HTTP/1.1 without Host
  CHECK(test::parse_response(raw_exchange(f.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nX: " +
                                                        std::string(20000, 'a') + "\r\n\r\n"))
            .status == 431);
  CHECK(test::parse_response(raw_exchange(f.port(),
                                          "POST /purge?prefix=/ HTTP/1.1\r\nHost: x\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
            .status == 411);
  // Still serving afterwards.
  CHECK(request(f.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("start fails with a message naming the address when the port is taken") {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);

  cache::CacheStore store(cache::CacheStoreOptions{1 << 20, 1});
  Metrics metrics(1);
  std::string text = "127.0.0.1:" + std::to_string(port);
  AdminServer server(
      AdminDeps{.cache = store, .metrics = metrics, .gauges = {}, .config = {}, .on_purge = {},
               .url_key = {}},
      config::ListenAddress{"127.0.0.1", port, text});
  base::Status s = server.start();
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find(text) != std::string::npos);
  CHECK(s.message().find("in use") != std::string::npos);
  close(fd);
}

TEST_CASE("stop closes the listener and returns even with an idle connection open") {
  Fixture f;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(f.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(send(fd, "GET /heal", 9, MSG_NOSIGNAL) == 9);  // half a head, then silence
  uint16_t port = f.port();
  f.server->stop();
  f.server->stop();  // idempotent
  CHECK_THROWS(raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  char c;
  ssize_t n = recv(fd, &c, 1, 0);  // our connection was closed: FIN, or RST for unread bytes
  CHECK((n == 0 || (n < 0 && errno == ECONNRESET)));
  close(fd);
}

}  // namespace
}  // namespace etagd::ops
