// The memory bound: max_memory caps what the cache holds; beyond it the least
// recently used entries go, and etagd keeps serving, including entries evicted while they are
// still being sent.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>
#include <vector>

#include "cache_harness.h"

namespace etagd::testing {
namespace {

constexpr size_t kObjectSize = 64 * 1024;

// /api/obj/<n> is kObjectSize bytes that depend on n.
void serve_objects(ScriptedOrigin& origin, size_t size) {
  origin.route("/api/obj/*", [size](const OriginRequest& req, OriginReply& reply) {
    unsigned n = static_cast<unsigned>(std::stoul(req.path.substr(sizeof "/api/obj/" - 1)));
    reply.reply(200, {}, patterned_body(size, n));
  });
}

std::string object_path(unsigned n) { return "/api/obj/" + std::to_string(n); }

}  // namespace

TEST_CASE("with a small max_memory older entries are evicted and etagd keeps serving") {
  ScriptedOrigin origin;
  serve_objects(origin, kObjectSize);
  // One shard gets the whole 1 MiB: about fifteen 64 KiB objects with their overhead.
  CachingEtagd etagd(origin, {.cache = "max_memory: 1MiB, shards: 1",
                              .rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});

  constexpr unsigned kObjects = 48;
  for (unsigned n = 0; n < kObjects; ++n) {
    CAPTURE(n);
    HttpResponse r = etagd.get(object_path(n));
    REQUIRE(r.status == 200);
    CHECK(r.body == patterned_body(kObjectSize, n));
    CHECK(cache_status(r) == "MISS");
  }
  CHECK(origin.request_count() == kObjects);

  // Newest first: the recent ones are still there, then the evicted ones miss.
  unsigned hits = 0;
  for (unsigned n = kObjects; n-- > 0;) {
    HttpResponse r = etagd.get(object_path(n));
    CHECK(r.body == patterned_body(kObjectSize, n));
    if (cache_status(r) == "HIT") ++hits;
  }
  CHECK(hits >= 8);
  CHECK(hits <= 16);  // 16 x 64 KiB is already the whole budget, without any overhead
  CHECK(cache_status(etagd.get(object_path(0))) == "HIT");  // stored again by its last miss
  CHECK(etagd.process().running());
}

TEST_CASE("an object larger than one shard's share is served but not stored") {
  ScriptedOrigin origin;
  serve_objects(origin, 100 * 1024);
  // 16 shards of 64 KiB each: a 100 KiB object never fits one.
  CachingEtagd etagd(origin, {.cache = "max_memory: 1MiB, shards: 16",
                              .rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});

  for (int i = 0; i < 2; ++i) {
    HttpResponse r = etagd.get(object_path(1));
    CHECK(r.status == 200);
    CHECK(r.body == patterned_body(100 * 1024, 1));
    CHECK(cache_status(r) == "MISS");
  }
  CHECK(origin.request_count() == 2);
}

TEST_CASE("entries evicted while they are being sent reach their clients intact") {
  ScriptedOrigin origin;
  constexpr size_t kLarge = 256 * 1024;
  serve_objects(origin, kLarge);
  // Room for three large objects: with eight keys in rotation on two workers, entries are
  // evicted all the time, often while another connection is still sending them.
  CachingEtagd etagd(origin, {.workers = "2",
                              .cache = "max_memory: 1MiB, shards: 1",
                              .rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});

  std::vector<std::string> expected;
  for (unsigned n = 0; n < 8; ++n) expected.push_back(patterned_body(kLarge, n));
  std::atomic<int> bad{0};
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        HttpClient client(etagd.port(), 10000ms);
        for (unsigned i = 0; i < 24; ++i) {
          unsigned n = (t * 3 + i) % 8;
          HttpResponse r = client.get(object_path(n));
          if (r.status == 200 && r.complete && r.body == expected[n]) {
            ++good;
          } else {
            ++bad;
          }
        }
      } catch (const std::exception&) {
        ++bad;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(bad == 0);
  CHECK(good == 4 * 24);
  CHECK(etagd.process().running());
}

TEST_CASE("an entry evicted while a slow client still reads it reaches that client intact") {
  ScriptedOrigin origin;
  // Larger than what the kernel buffers for one loopback connection (up to 4 MiB of send
  // buffer plus the client's receive window), so part of the body is still queued in etagd,
  // referencing the cached bytes, when the entry is evicted.
  constexpr size_t kHuge = 7 * 1024 * 1024;
  serve_objects(origin, kHuge);
  // Two 7 MiB objects fit, a third evicts the least recently used one.
  CachingEtagd etagd(origin, {.cache = "max_memory: 16MiB, shards: 1",
                              .rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});
  REQUIRE(etagd.get(object_path(0)).status == 200);

  // A client with a small receive window asks for the stored object and does not read.
  HttpClient slow = etagd.client(10000ms);
  int window = 64 * 1024;
  ::setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
  slow.send_request("GET", object_path(0));
  std::this_thread::sleep_for(100ms);
  for (unsigned n = 1; n <= 3; ++n) {
    HttpResponse r = etagd.get(object_path(n));
    CHECK(r.body.size() == kHuge);
  }

  HttpResponse r = slow.read_response();
  CHECK(r.status == 200);
  CHECK(cache_status(r) == "HIT");
  CHECK(r.complete);
  CHECK(r.body == patterned_body(kHuge, 0));
  // It really was evicted meanwhile.
  CHECK(cache_status(etagd.get(object_path(0))) == "MISS");
}

}  // namespace etagd::testing
