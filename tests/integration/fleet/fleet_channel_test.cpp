// FleetChannel against a real redis-server, without etagd: delivery between instances, the
// subscription's life cycle (absent Redis, restart, hung Redis), and what happens to this
// instance's own invalidations while its connections are down. Heartbeats and timeouts are
// shortened (FleetTuning) so every case runs in a second or two.
#include "fleet/fleet_channel.h"

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "cache/cache_store.h"
#include "support/eventually.h"
#include "redis_server.h"
#include "support/free_port.h"

using etagd::cache::CacheEntry;
using etagd::cache::CacheStore;
using etagd::cache::CacheStoreOptions;
using etagd::cache::EntryRef;
using etagd::fleet::FleetChannel;
using etagd::fleet::FleetTuning;
using etagd::testing::eventually;
using etagd::testing::RedisServer;
using namespace std::chrono_literals;

namespace {

const etagd::http::HeaderList kNoHeaders;

std::string unique_channel() {
  std::random_device rd;
  return "etagd-test:" + std::to_string(rd());
}

etagd::config::FleetConfig fleet_config(uint16_t redis_port, const std::string& channel,
                                        const std::string& id) {
  etagd::config::FleetConfig c;
  c.enabled = true;
  c.redis_host = "127.0.0.1";
  c.redis_port = redis_port;
  c.channel = channel;
  c.instance_id = id;
  c.reconnect_min = 50ms;
  c.reconnect_max = 200ms;
  return c;
}

// Short enough for quick tests, long enough that a loaded machine (sanitizers, parallel
// builds) does not miss a heartbeat by accident.
FleetTuning fast() {
  FleetTuning t;
  t.heartbeat_interval = 100ms;
  t.heartbeat_timeout = 1500ms;
  t.connect_timeout = 1000ms;
  return t;
}

CacheStoreOptions store_options() {
  CacheStoreOptions o;
  o.max_memory = 1 << 20;
  o.shards = 4;
  return o;
}

EntryRef entry(std::string_view key) {
  etagd::cache::ResponseToStore r;
  r.status = 200;
  r.header_block = "ETag: \"x\"\r\n";
  r.etag = "\"x\"";
  r.freshness.response_time = r.freshness.request_time = r.freshness.date_value =
      etagd::base::WallSeconds(std::chrono::seconds(1000));
  r.freshness.lifetime = std::chrono::seconds(3600);
  r.body = "body";
  return CacheEntry::make(key, std::move(r));
}

bool present(CacheStore& cache, std::string_view key) {
  return cache.lookup(key, kNoHeaders).entry != nullptr;
}

// One instance's cache and channel.
struct Node {
  Node(uint16_t redis_port, const std::string& channel, const std::string& id,
       FleetTuning tuning = fast())
      : cache(store_options()), fleet(fleet_config(redis_port, channel, id), cache, tuning) {}
  Node(const etagd::config::FleetConfig& config, FleetTuning tuning)
      : cache(store_options()), fleet(config, cache, tuning) {}

  void start() {
    etagd::base::Status s = fleet.start();
    REQUIRE_MESSAGE(s.is_ok(), s.message());
  }

  CacheStore cache;
  FleetChannel fleet;
};

}  // namespace

TEST_CASE("two instances apply each other's invalidations and ignore their own") {
  RedisServer redis;
  std::string channel = unique_channel();
  Node a(redis.port(), channel, "a");
  Node b(redis.port(), channel, "b");
  a.start();
  b.start();
  REQUIRE(eventually([&] { return a.fleet.subscribed() && b.fleet.subscribed(); }));
  for (Node* n : {&a, &b}) {
    n->cache.insert(entry("api.test/items/1"));
    n->cache.insert(entry("api.test/items/2"));
    n->cache.insert(entry("api.test/uploads/x"));
  }

  a.fleet.publish_url("api.test/items/1");
  REQUIRE(eventually([&] { return !present(b.cache, "api.test/items/1"); }));
  CHECK(present(b.cache, "api.test/items/2"));
  b.fleet.publish_prefix("/uploads/");
  REQUIRE(eventually([&] { return !present(a.cache, "api.test/uploads/x"); }));

  // Each saw its own message come back and left its cache alone.
  CHECK(present(a.cache, "api.test/items/1"));
  CHECK(present(b.cache, "api.test/uploads/x"));
  CHECK(eventually([&] { return a.fleet.status().sent == 1 && b.fleet.status().sent == 1; }));
  CHECK(a.fleet.status().applied == 1);
  CHECK(b.fleet.status().applied == 1);
  CHECK(a.fleet.status().gaps == 0);
  CHECK(a.fleet.status().dropped == 0);
}

TEST_CASE("without Redis the channel distrusts hits, and subscribes once Redis appears") {
  uint16_t port = etagd::testing::free_port();
  auto config = fleet_config(port, unique_channel(), "a");
  config.max_staleness = 2500ms;  // whole seconds: acts as 2 s
  Node a(config, fast());
  a.start();
  std::this_thread::sleep_for(300ms);  // several refused attempts
  CHECK_FALSE(a.fleet.subscribed());
  CHECK_FALSE(a.fleet.hit_gate().in_sync);
  CHECK(a.fleet.hit_gate().max_staleness == std::chrono::seconds(2));

  RedisServer redis(port);
  REQUIRE(eventually([&] { return a.fleet.subscribed(); }, 3s));
  CHECK(a.fleet.hit_gate().in_sync);
  CHECK(a.fleet.status().gaps == 0);  // a first subscription is not a gap
}

TEST_CASE("after a Redis restart the channel resubscribes by itself and the cache is stale") {
  RedisServer redis;
  Node a(redis.port(), unique_channel(), "a");
  a.start();
  REQUIRE(eventually([&] { return a.fleet.subscribed(); }));
  a.cache.insert(entry("api.test/items/1"));
  CHECK_FALSE(a.cache.lookup("api.test/items/1", kNoHeaders).forced_stale);

  redis.kill();
  REQUIRE(eventually([&] { return !a.fleet.subscribed(); }, 2s));
  CHECK_FALSE(a.fleet.hit_gate().in_sync);
  std::this_thread::sleep_for(300ms);  // a few failed attempts while it is down
  redis.start();
  REQUIRE(eventually([&] { return a.fleet.subscribed(); }, 3s));
  CHECK(a.fleet.status().gaps == 1);
  // A message published while it was away is lost for good: the entry must be revalidated.
  auto found = a.cache.lookup("api.test/items/1", kNoHeaders);
  REQUIRE(found.entry != nullptr);
  CHECK(found.forced_stale);
}

TEST_CASE("a hung Redis is noticed by the heartbeat, and the channel recovers after it") {
  RedisServer redis;
  Node a(redis.port(), unique_channel(), "a");
  a.start();
  REQUIRE(eventually([&] { return a.fleet.subscribed(); }));

  // Frozen: the TCP connections stay open and nothing closes them; only the missing
  // heartbeat tells.
  redis.freeze();
  auto frozen_at = std::chrono::steady_clock::now();
  REQUIRE(eventually([&] { return !a.fleet.subscribed(); }, 5s));
  // heartbeat_timeout (1.5 s) plus one heartbeat interval, and some slack.
  CHECK(std::chrono::steady_clock::now() - frozen_at < 3s);
  redis.thaw();
  REQUIRE(eventually([&] { return a.fleet.subscribed(); }, 3s));
  CHECK(a.fleet.status().gaps == 1);
}

TEST_CASE("invalidations made while an instance is cut off are delivered once it is back") {
  RedisServer redis;
  std::string channel = unique_channel();
  auto config = fleet_config(redis.port(), channel, "a");
  config.reconnect_min = config.reconnect_max = 800ms;  // a window to publish into
  Node a(config, fast());
  Node b(redis.port(), channel, "b");
  a.start();
  b.start();
  REQUIRE(eventually([&] { return a.fleet.subscribed() && b.fleet.subscribed(); }));
  b.cache.insert(entry("api.test/items/1"));

  // Killing either connection ends the session; the other one is closed by etagd itself.
  REQUIRE(redis.kill_clients_named("etagd:a:") >= 1);
  REQUIRE(eventually([&] { return !a.fleet.subscribed(); }, 2s));
  a.fleet.publish_url("api.test/items/1");  // waits in the outbox
  std::this_thread::sleep_for(100ms);
  CHECK(present(b.cache, "api.test/items/1"));

  REQUIRE(eventually([&] { return !present(b.cache, "api.test/items/1"); }, 3s));
  CHECK(a.fleet.subscribed());
  CHECK(b.fleet.status().applied == 1);
  CHECK(a.fleet.status().dropped == 0);
  CHECK(b.fleet.status().gaps == 0);  // b never lost anything
}

TEST_CASE("when the outbox overflows the other instances are told to revalidate everything") {
  RedisServer redis;
  std::string channel = unique_channel();
  auto config = fleet_config(redis.port(), channel, "a");
  config.reconnect_min = config.reconnect_max = 800ms;
  FleetTuning tuning = fast();
  tuning.outbox_capacity = 2;
  Node a(config, tuning);
  Node b(redis.port(), channel, "b");
  a.start();
  b.start();
  REQUIRE(eventually([&] { return a.fleet.subscribed() && b.fleet.subscribed(); }));
  b.cache.insert(entry("api.test/untouched"));

  // Killing either connection ends the session; the other one is closed by etagd itself.
  REQUIRE(redis.kill_clients_named("etagd:a:") >= 1);
  REQUIRE(eventually([&] { return !a.fleet.subscribed(); }, 2s));
  for (int i = 0; i < 5; ++i) a.fleet.publish_url("api.test/items/" + std::to_string(i));
  CHECK(a.fleet.status().dropped == 3);

  // `all` first, then the two that fitted.
  REQUIRE(eventually([&] { return b.fleet.status().applied == 3; }, 3s));
  auto found = b.cache.lookup("api.test/untouched", kNoHeaders);
  REQUIRE(found.entry != nullptr);
  CHECK(found.forced_stale);
  CHECK(b.fleet.status().gaps == 0);
}

TEST_CASE("foreign messages on the channel are counted and ignored") {
  RedisServer redis;
  std::string channel = unique_channel();
  Node a(redis.port(), channel, "a");
  a.start();
  REQUIRE(eventually([&] { return a.fleet.subscribed(); }));
  a.cache.insert(entry("api.test/items/1"));
  redis.cli({"PUBLISH", channel, "hello"});
  redis.cli({"PUBLISH", channel, "etagd1 someone delete api.test/items/1"});
  // A well-formed message from a tool other than etagd is obeyed: that is the protocol.
  redis.cli({"PUBLISH", channel, "etagd1 ops-script url api.test/items/1"});
  REQUIRE(eventually([&] { return !present(a.cache, "api.test/items/1"); }));
  CHECK(a.fleet.status().malformed == 2);
  CHECK(a.fleet.status().applied == 1);
  CHECK(a.fleet.subscribed());
}

TEST_CASE("an invalidation queued just before stop() still reaches the other instances") {
  RedisServer redis;
  std::string channel = unique_channel();
  Node a(redis.port(), channel, "a");
  Node b(redis.port(), channel, "b");
  a.start();
  b.start();
  REQUIRE(eventually([&] { return a.fleet.subscribed() && b.fleet.subscribed(); }));
  b.cache.insert(entry("api.test/items/1"));
  a.fleet.publish_url("api.test/items/1");
  a.fleet.stop();  // as etagd does right after its workers drained
  CHECK(a.fleet.status().sent == 1);
  CHECK(eventually([&] { return !present(b.cache, "api.test/items/1"); }, 2s));
}

TEST_CASE("stop() returns promptly even while Redis answers nothing") {
  RedisServer redis;
  Node a(redis.port(), unique_channel(), "a");
  redis.freeze();
  a.start();
  std::this_thread::sleep_for(200ms);       // connecting, SUBSCRIBE unanswered
  a.fleet.publish_url("api.test/items/1");  // cannot be sent: stop() must not wait for it
  auto before = std::chrono::steady_clock::now();
  a.fleet.stop();
  CHECK(std::chrono::steady_clock::now() - before < 1s);
  CHECK_FALSE(a.fleet.subscribed());
  redis.thaw();
}
