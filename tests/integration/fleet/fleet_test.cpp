// Fleet mode end to end: one redis-server, two or three real etagd instances in front of one
// ScriptedOrigin, as behind a load balancer. Every client request names the same Host
// (api.test), as a load balancer's clients would, so the instances share cache keys.
//
// The origin is a legacy API: no validators, GET returns the current content of a path, PUT
// replaces it. Every instance caches for 60 s, so only fleet invalidation (or its absence)
// decides what a read through another instance returns.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "support/eventually.h"
#include "redis_server.h"
#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/prometheus_text.h"
#include "support/sanitizer_report.h"
#include "support/scripted_origin.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kHost = "api.test";

// GET answers the path's current content; PUT replaces it (204).
class LegacyApi {
 public:
  explicit LegacyApi(ScriptedOrigin& origin) {
    origin.route("/api/*", [this](const OriginRequest& req, OriginReply& reply) {
      std::lock_guard<std::mutex> lock(mu_);
      if (req.method == "PUT") {
        content_[req.path] = req.body;
        reply.reply(204);
        return;
      }
      auto it = content_.find(req.path);
      std::string body = it == content_.end() ? "initial " + req.path : it->second;
      reply.reply(200, {{"Content-Type", "text/plain"}}, body);
    });
  }
  void set(const std::string& path, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    content_[path] = std::move(body);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> content_;
};

// One etagd of the fleet, with its admin listener.
class Instance {
 public:
  Instance(std::string id, uint16_t origin_port, std::string fleet_block)
      : id_(std::move(id)), port_(free_port()), admin_port_(free_port()) {
    std::string yaml =
        "listen: [\"127.0.0.1:" + std::to_string(port_) + "\"]\n" +
        "upstream: { url: \"http://127.0.0.1:" + std::to_string(origin_port) + "\" }\n" +
        "workers: 2\n" + "admin: { listen: \"127.0.0.1:" + std::to_string(admin_port_) + "\" }\n" +
        "timeouts: { shutdown: 2s }\n" + "defaults: { cache: store, ttl: 60s }\n" + fleet_block;
    process_.emplace(yaml, port_);
    process_->wait_ready();
    process_->wait_listening(admin_port_);
  }
  ~Instance() {
    if (process_->running()) {
      ProcessExit exit = process_->stop(10000ms);
      if (!exit.success()) {
        FAIL_CHECK("etagd " << id_ << " did not exit cleanly: " << exit.describe() << "\n"
                            << process_->log());
      }
    }
    std::string report = sanitizer_report(process_->log());
    if (!report.empty()) FAIL_CHECK("sanitizer report in etagd " << id_ << "'s log:\n" << report);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  HttpResponse get(const std::string& target, HeaderFields headers = {}) {
    headers.set("Host", kHost);
    return http_get(port_, target, headers);
  }
  HttpResponse put(const std::string& target, const std::string& body) {
    return http_request(port_, "PUT", target, {{"Host", kHost}}, body);
  }
  HttpResponse admin(const std::string& method, const std::string& target) {
    return http_request(admin_port_, method, target, {{"Host", "127.0.0.1"}});
  }

  // A sample of /metrics, nullopt if absent or unreadable.
  std::optional<uint64_t> metric(const std::string& name) {
    HttpResponse r;
    try {
      r = admin("GET", "/metrics");
    } catch (const std::exception&) {
      return std::nullopt;
    }
    std::optional<double> v = sample_value(r.body, name);
    if (!v) return std::nullopt;
    return static_cast<uint64_t>(*v);
  }
  bool connected() { return metric("etagd_fleet_connected") == 1u; }
  uint64_t applied() { return metric("etagd_fleet_messages_applied_total").value_or(0); }
  std::string log() const { return process_->log(); }

 private:
  std::string id_;
  uint16_t port_;
  uint16_t admin_port_;
  std::optional<EtagdProcess> process_;
};

std::string fleet_block(uint16_t redis_port, const std::string& channel, const std::string& id,
                        const std::string& more = "") {
  return "fleet: { redis: \"127.0.0.1:" + std::to_string(redis_port) + "\", channel: \"" + channel +
         "\", instance_id: \"" + id + "\", reconnect_min: 50ms, reconnect_max: 300ms" +
         (more.empty() ? "" : ", " + more) + " }\n";
}

std::string unique_channel() {
  std::random_device rd;
  return "etagd-fleet-test:" + std::to_string(rd());
}

std::string cache_status(const HttpResponse& r) { return r.headers.get("X-Cache"); }

// Redis, the origin and `n` instances named a, b, c.
struct Fleet {
  explicit Fleet(int n) : api(origin), channel(unique_channel()) {
    for (int i = 0; i < n; ++i) {
      std::string id(1, static_cast<char>('a' + i));
      nodes.push_back(
          std::make_unique<Instance>(id, origin.port(), fleet_block(redis.port(), channel, id)));
    }
    for (auto& node : nodes) {
      REQUIRE_MESSAGE(eventually([&] { return node->connected(); }), node->log());
    }
  }
  Instance& operator[](size_t i) { return *nodes.at(i); }

  RedisServer redis;
  ScriptedOrigin origin;
  LegacyApi api;
  std::string channel;
  std::vector<std::unique_ptr<Instance>> nodes;
};

}  // namespace

TEST_CASE("a write through one instance is seen by the next read through every other") {
  Fleet fleet(3);
  Instance& a = fleet[0];
  Instance& b = fleet[1];
  Instance& c = fleet[2];
  for (Instance* n : {&a, &b, &c}) {
    CHECK(n->get("/api/items/1").body == "initial /api/items/1");
    HttpResponse again = n->get("/api/items/1");
    CHECK(cache_status(again) == "HIT");
  }

  CHECK(a.put("/api/items/1", "second").status == 204);
  // One message per scheme's key: the write drops the URL's http and https entries.
  REQUIRE(eventually([&] { return b.applied() == 2 && c.applied() == 2; }));
  for (Instance* n : {&a, &b, &c}) {
    HttpResponse r = n->get("/api/items/1");
    CHECK(r.body == "second");
    CHECK(cache_status(r) == "MISS");
  }
  // The writer ignored its own messages; the others each applied both.
  CHECK(a.applied() == 0);
  CHECK(a.metric("etagd_fleet_messages_sent_total") >= 1u);
}

TEST_CASE("a purge on one instance's admin listener empties the others") {
  Fleet fleet(2);
  Instance& a = fleet[0];
  Instance& b = fleet[1];
  for (const char* path : {"/api/items/1", "/api/uploads/x", "/api/uploads/y"}) {
    b.get(path);
    REQUIRE(cache_status(b.get(path)) == "HIT");
  }

  HttpResponse purge = a.admin("POST", "/purge?url=http://api.test/api/items/1");
  REQUIRE(purge.status == 200);
  REQUIRE(eventually([&] { return b.applied() == 1; }));
  CHECK(cache_status(b.get("/api/items/1")) == "MISS");
  CHECK(cache_status(b.get("/api/uploads/x")) == "HIT");

  REQUIRE(a.admin("POST", "/purge?prefix=/api/uploads/").status == 200);
  REQUIRE(eventually([&] { return b.applied() == 2; }));
  CHECK(cache_status(b.get("/api/uploads/x")) == "MISS");
  CHECK(cache_status(b.get("/api/uploads/y")) == "MISS");
}

TEST_CASE("an ETag made by one instance revalidates to 304 at another") {
  Fleet fleet(2);
  HttpResponse first = fleet[0].get("/api/report");
  std::string etag = first.headers.get("ETag");
  REQUIRE_FALSE(etag.empty());

  // b never saw this URL: it fetches, hashes the same bytes, and finds the same tag.
  HttpResponse r = fleet[1].get("/api/report", {{"If-None-Match", etag}});
  CHECK(r.status == 304);
  CHECK(r.headers.get("ETag") == etag);
  HttpResponse again = fleet[1].get("/api/report", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(cache_status(again) == "HIT");
  CHECK(fleet.origin.request_count("/api/report") == 2);
}

TEST_CASE("with Redis down instances keep answering, hide no write, and resubscribe") {
  Fleet fleet(2);
  Instance& a = fleet[0];
  Instance& b = fleet[1];
  for (const char* path : {"/api/items/1", "/api/items/2"}) {
    b.get(path);
    REQUIRE(cache_status(b.get(path)) == "HIT");
  }

  CHECK(b.admin("GET", "/healthz").body ==
        "ok\nupstream: 1 server(s), not checked (no health_check, passive off)\n"
        "fleet: subscribed\n");
  fleet.redis.kill();
  REQUIRE(eventually([&] { return !a.connected() && !b.connected(); }));
  // Still in rotation: the instance answers correctly, only more slowly.
  HttpResponse health = b.admin("GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body.find("fleet: not subscribed") != std::string::npos);

  // Both keep answering; b revalidates instead of trusting its cache (max_staleness 0).
  size_t before = fleet.origin.request_count("/api/items/1");
  HttpResponse during = b.get("/api/items/1");
  CHECK(during.status == 200);
  CHECK(during.body == "initial /api/items/1");
  CHECK(cache_status(during) != "HIT");
  CHECK(fleet.origin.request_count("/api/items/1") == before + 1);
  CHECK(a.get("/api/items/1").status == 200);

  // Writes through a while nobody can hear about them.
  CHECK(a.put("/api/items/1", "written during the gap").status == 204);
  CHECK(a.put("/api/items/2", "also written during the gap").status == 204);
  // Read during the gap: b asks the origin.
  CHECK(b.get("/api/items/1").body == "written during the gap");

  fleet.redis.start();
  REQUIRE(eventually([&] { return a.connected() && b.connected(); }));
  CHECK(b.metric("etagd_fleet_gaps_total") == 1u);
  CHECK(a.metric("etagd_fleet_gaps_total") == 1u);
  // a's two gap writes waited for Redis instead of being dropped.
  CHECK(a.metric("etagd_fleet_messages_dropped_total") == 0u);

  // b held /api/items/2 from before the gap and was never asked for it during the gap:
  // it must not come back as a stale HIT now.
  HttpResponse after = b.get("/api/items/2");
  CHECK(after.body == "also written during the gap");
  CHECK(cache_status(after) != "HIT");

  // And messages flow again.
  CHECK(a.put("/api/items/1", "after the gap").status == 204);
  CHECK(eventually([&] { return b.get("/api/items/1").body == "after the gap"; }, 3s));
}

TEST_CASE("an instance that cannot reach Redis revalidates every hit, or follows max_staleness") {
  ScriptedOrigin origin;
  LegacyApi api(origin);
  uint16_t nobody = free_port();  // no Redis there
  std::string channel = unique_channel();

  Instance strict("strict", origin.port(), fleet_block(nobody, channel, "strict"));
  strict.get("/api/strict");
  HttpResponse second = strict.get("/api/strict");
  CHECK(second.status == 200);
  CHECK(cache_status(second) != "HIT");
  CHECK(origin.request_count("/api/strict") == 2);
  CHECK(strict.metric("etagd_fleet_enabled") == 1u);
  CHECK(strict.metric("etagd_fleet_connected") == 0u);

  Instance bounded("bounded", origin.port(),
                   fleet_block(nobody, channel, "bounded", "max_staleness: 30s"));
  bounded.get("/api/bounded");
  HttpResponse hit = bounded.get("/api/bounded");
  CHECK(cache_status(hit) == "HIT");
  CHECK(origin.request_count("/api/bounded") == 1);
}

TEST_CASE("without a fleet block etagd caches as before and reports fleet mode off") {
  ScriptedOrigin origin;
  LegacyApi api(origin);
  Instance alone("alone", origin.port(), "");
  alone.get("/api/items/1");
  CHECK(cache_status(alone.get("/api/items/1")) == "HIT");
  CHECK(alone.metric("etagd_fleet_enabled") == 0u);
  CHECK(alone.log().find("fleet") == std::string::npos);
}
