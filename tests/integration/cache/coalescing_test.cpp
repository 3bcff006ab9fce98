// Request coalescing: concurrent misses for one key make one upstream request,
// across workers too; requests that differ in a key header never share a response, and a
// response that turns out uncacheable is never handed to the requests that waited for it.
#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "cache_harness.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/origin_scripts.h"
#include "support/prometheus_text.h"

namespace etagd::testing {
namespace {

// True once `n` requests are parked behind another's fetch: etagd counts a waiter when it
// parks it (etagd_coalesced_waits_total).
bool parked(uint16_t admin_port, double n) {
  return eventually([&] {
    std::optional<double> v =
        sample_value(http_get(admin_port, "/metrics").body, "etagd_coalesced_waits_total");
    return v && *v >= n;
  }, 3000ms);
}

struct Outcome {
  int status = 0;
  std::string body;
  std::string etag;
  std::string error;  // what went wrong, when the request failed outright
};

// Runs `requests` GETs of /api/hot at once, each on its own connection and thread: every
// thread connects first, then all send together so the requests overlap.
std::vector<Outcome> concurrent_gets(uint16_t port, size_t requests,
                                     const std::function<HeaderFields(size_t)>& headers_for) {
  std::vector<Outcome> outcomes(requests);
  std::vector<std::thread> threads;
  std::atomic<size_t> connected{0};
  std::atomic<bool> go{false};
  for (size_t i = 0; i < requests; ++i) {
    threads.emplace_back([&, i] {
      std::optional<HttpClient> client;
      try {
        client.emplace(port, 10000ms);
      } catch (const std::exception& e) {
        outcomes[i].error = e.what();
      }
      ++connected;
      while (!go.load()) std::this_thread::yield();
      if (!client) return;
      try {
        HttpResponse r = client->get("/api/hot", headers_for(i));
        outcomes[i] = {r.status, r.body, r.headers.get("ETag"), ""};
      } catch (const std::exception& e) {
        outcomes[i].error = e.what();
      }
    });
  }
  eventually([&] { return connected.load() == requests; }, 5000ms);
  go = true;
  for (std::thread& t : threads) t.join();
  return outcomes;
}

HeaderFields no_headers(size_t) { return {}; }

struct Overlap {
  HttpResponse first;
  HttpResponse second;
  std::chrono::milliseconds second_took{};
};

// GET /api/slow with `first`, then, once the origin is answering it, with `second`.
Overlap overlapping_gets(const CachingEtagd& etagd, const ScriptedOrigin& origin,
                         const HeaderFields& first, const HeaderFields& second) {
  Overlap o;
  std::thread leader([&] { o.first = http_get(etagd.port(), "/api/slow", first, 5000ms); });
  bool first_arrived = origin.wait_for_requests("/api/slow", 1, 2000ms);
  auto start = std::chrono::steady_clock::now();
  if (first_arrived) o.second = http_get(etagd.port(), "/api/slow", second, 5000ms);
  o.second_took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  leader.join();
  REQUIRE(first_arrived);
  return o;
}

// Takes a second; says whose answer it is.
void route_slow_user_data(ScriptedOrigin& origin) {
  origin.route("/api/slow", [](const OriginRequest& req, OriginReply& reply) {
    if (!reply.sleep(1000ms)) return;
    std::string user = req.headers.get("Authorization") + req.headers.get("Cookie");
    reply.reply(200, {{"Cache-Control", "max-age=60"}}, user.empty() ? "public data" : "data of " + user);
  });
}

}  // namespace

TEST_CASE("50 concurrent cold requests for one key make exactly one origin request") {
  ScriptedOrigin origin;
  std::string body = patterned_body(20000, 11);
  origin.route("/api/hot", script::delayed(300ms, script::respond(200, {}, body)));
  // Two workers: with 50 connections SO_REUSEPORT spreads them over both, so waiters on the
  // worker that does not fetch are woken through their own worker's queue.
  CachingEtagd etagd(
      origin, {.workers = "2", .rules = {"{ match: { prefix: /api/ }, cache: store, ttl: 60s }"}});

  std::vector<Outcome> outcomes = concurrent_gets(etagd.port(), 50, no_headers);

  CHECK(origin.request_count("/api/hot") == 1);
  std::set<std::string> etags;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    CAPTURE(i);
    CHECK(outcomes[i].error == "");
    CHECK(outcomes[i].status == 200);
    CHECK(outcomes[i].body == body);
    etags.insert(outcomes[i].etag);
  }
  CHECK(etags.size() == 1);
  CHECK(is_strong_etag(*etags.begin()));
}

TEST_CASE("requests with different key_headers values are never coalesced or shared") {
  ScriptedOrigin origin;
  origin.route("/api/hot", [](const OriginRequest& req, OriginReply& reply) {
    if (!reply.sleep(300ms)) return;
    reply.reply(200, {}, "data of " + req.headers.get("Authorization"));
  });
  CachingEtagd etagd(origin, {.workers = "2",
                              .rules = {"{ match: { prefix: /api/ }, cache: store, ttl: 60s, "
                                        "key_headers: [Authorization] }"}});

  auto token = [](size_t i) { return "Bearer tenant-" + std::to_string(i % 3); };
  std::vector<Outcome> outcomes = concurrent_gets(etagd.port(), 30, [&](size_t i) {
    return HeaderFields{{"Authorization", token(i)}};
  });

  // One fetch per tenant, each answered with its own data.
  CHECK(origin.request_count("/api/hot") == 3);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    CAPTURE(i);
    CHECK(outcomes[i].status == 200);
    CHECK(outcomes[i].body == "data of " + token(i));
  }
}

TEST_CASE("a response that turns out uncacheable is not handed to the requests waiting for it") {
  ScriptedOrigin origin;
  std::atomic<int> served{0};
  origin.route("/api/hot", [&](const OriginRequest&, OriginReply& reply) {
    if (!reply.sleep(300ms)) return;
    reply.reply(200, {{"Cache-Control", "no-store"}}, "copy " + std::to_string(++served));
  });
  CachingEtagd etagd(origin, {.workers = "2"});  // defaults: ttl origin honours no-store

  std::vector<Outcome> outcomes = concurrent_gets(etagd.port(), 10, no_headers);

  // Every request got a response of its own from the origin.
  CHECK(origin.request_count("/api/hot") == 10);
  std::set<std::string> bodies;
  for (const Outcome& o : outcomes) {
    CHECK(o.status == 200);
    bodies.insert(o.body);
  }
  CHECK(bodies.size() == 10);
}

TEST_CASE("a request waiting longer than coalesce_timeout goes to the origin itself") {
  ScriptedOrigin origin;
  std::atomic<int> calls{0};
  origin.route("/api/hot", [&](const OriginRequest&, OriginReply& reply) {
    // The first fetch is very slow; the ones after it are quick.
    if (++calls == 1 && !reply.sleep(2000ms)) return;
    reply.reply(200, {}, "answer");
  });
  CachingEtagd etagd(origin, {.cache = "coalesce_timeout: 200ms",
                              .rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});

  std::thread leader([&] {
    HttpResponse r = http_get(etagd.port(), "/api/hot", {}, 5000ms);
    CHECK(r.status == 200);
  });
  REQUIRE(origin.wait_for_requests("/api/hot", 1, 2000ms));
  auto start = std::chrono::steady_clock::now();
  HttpResponse waiter = etagd.get("/api/hot");
  auto waited = std::chrono::steady_clock::now() - start;
  leader.join();

  CHECK(waiter.status == 200);
  CHECK(waiter.body == "answer");
  CHECK(waited < 1500ms);  // it did not wait for the slow leader
  CHECK(origin.request_count("/api/hot") == 2);
}

TEST_CASE("coalesced requests that differ in a Vary field each get their own variant") {
  ScriptedOrigin origin;
  origin.route("/api/hot", [](const OriginRequest& req, OriginReply& reply) {
    if (!reply.sleep(300ms)) return;
    reply.reply(200, {{"Vary", "Accept-Language"}, {"Cache-Control", "max-age=60"}},
                "greeting in " + req.headers.get("Accept-Language"));
  });
  CachingEtagd etagd(origin, {.workers = "2"});

  auto language = [](size_t i) { return i % 2 == 0 ? std::string("de") : std::string("en"); };
  std::vector<Outcome> outcomes = concurrent_gets(etagd.port(), 12, [&](size_t i) {
    return HeaderFields{{"Accept-Language", language(i)}};
  });

  for (size_t i = 0; i < outcomes.size(); ++i) {
    CAPTURE(i);
    CHECK(outcomes[i].status == 200);
    CHECK(outcomes[i].body == "greeting in " + language(i));
  }
  // Both variants are stored now.
  CHECK(cache_status(etagd.get("/api/hot", {{"Accept-Language", "de"}})) == "HIT");
  CHECK(cache_status(etagd.get("/api/hot", {{"Accept-Language", "en"}})) == "HIT");
}

TEST_CASE("waiters that hang up before the fetch completes do not disturb the others") {
  ScriptedOrigin origin;
  origin.route("/api/hot", script::delayed(400ms, script::respond(200, {}, "hot data")));
  const uint16_t admin = free_port();
  CachingEtagd etagd(origin, {.workers = "2",
                              .rules = {"{ match: { prefix: /api/ }, ttl: 60s }"},
                              .admin_port = admin});

  HttpClient leader = etagd.client();
  leader.send_request("GET", "/api/hot");
  REQUIRE(origin.wait_for_requests("/api/hot", 1, 2000ms));
  std::vector<HttpClient> quitters;
  for (int i = 0; i < 5; ++i) {
    quitters.push_back(etagd.client());
    quitters.back().send_request("GET", "/api/hot");
  }
  std::thread stayer([&] { CHECK(etagd.get("/api/hot").body == "hot data"); });
  REQUIRE(parked(admin, 6));
  for (HttpClient& q : quitters) q.reset();
  stayer.join();
  CHECK(leader.read_response().body == "hot data");
  CHECK(origin.request_count("/api/hot") == 1);
  CHECK(cache_status(etagd.get("/api/hot")) == "HIT");
  CHECK(etagd.process().running());
}

TEST_CASE("when the fetching client hangs up, its waiters still share one origin request") {
  ScriptedOrigin origin;
  origin.route("/api/hot", script::delayed(400ms, script::respond(200, {}, "hot data")));
  const uint16_t admin = free_port();
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s }"},
                              .admin_port = admin});

  HttpClient leader = etagd.client();
  leader.send_request("GET", "/api/hot");
  REQUIRE(origin.wait_for_requests("/api/hot", 1, 2000ms));
  std::vector<HttpClient> waiters;
  for (int i = 0; i < 8; ++i) {
    waiters.push_back(etagd.client());
    waiters.back().send_request("GET", "/api/hot");
  }
  REQUIRE(parked(admin, 8));
  leader.reset();
  for (HttpClient& w : waiters) CHECK(w.read_response().body == "hot data");
  // The leader's fetch was already on its way: finishing it for the cache would serve all
  // the waiters; abandoning it sends every one of them upstream on its own.
  CHECK(origin.request_count("/api/hot") <= 2);
}

TEST_CASE("concurrent requests for a stale entry make one revalidation") {
  ScriptedOrigin origin;
  // Stored stale (the origin says Age 61 against a 60 s ttl); the 304 has no Age, so the
  // refreshed entry is fresh when the waiters look at it.
  OriginResource hot(200, {{"ETag", "\"v1\""}, {"Age", "61"}}, "hot data");
  hot.set_not_modified_fields({{"ETag", "\"v1\""}});
  origin.route("/api/hot", hot.handler());
  CachingEtagd etagd(origin, {.workers = "2", .rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});

  etagd.get("/api/hot");
  hot.set_delay(300ms);
  std::vector<Outcome> outcomes = concurrent_gets(etagd.port(), 20, no_headers);

  for (const Outcome& o : outcomes) {
    CHECK(o.status == 200);
    CHECK(o.body == "hot data");
    CHECK(o.etag == "\"v1\"");
  }
  CHECK(origin.request_count("/api/hot") == 2);
  CHECK(hot.not_modified_count() == 1);
}

TEST_CASE("a rule ttl shorter than the origin's response time still lets waiters share the fetch") {
  // The ttl is etagd's own policy and counts from the response's arrival, as Varnish's
  // beresp.ttl and nginx's proxy_cache_valid do: the 2 s the origin took are not held against it.
  ScriptedOrigin origin;
  origin.route("/api/hot", script::delayed(2000ms, script::respond(200, {}, "slow answer")));
  CachingEtagd etagd(origin, {.cache = "coalesce_timeout: 5s",
                              .rules = {"{ match: { prefix: /api/ }, ttl: 1s }"}});

  std::vector<Outcome> outcomes = concurrent_gets(etagd.port(), 3, no_headers);

  CHECK(origin.request_count("/api/hot") == 1);
  for (const Outcome& o : outcomes) {
    CHECK(o.error == "");
    CHECK(o.body == "slow answer");
  }
}

TEST_CASE("waiters are answered with the response fetched for them, even if it arrived stale") {
  // max-age=1 from an origin that takes 2 s: by RFC 9111 §4.2.3 the response is stale when it
  // arrives. It is still the origin's answer to the collapsed requests, as to the leader's.
  ScriptedOrigin origin;
  origin.route("/api/hot", script::delayed(2000ms, script::respond(200, {{"Cache-Control",
                                                                          "max-age=1"}},
                                                                  "slow answer")));
  CachingEtagd etagd(origin, {.cache = "coalesce_timeout: 5s"});

  std::vector<Outcome> outcomes = concurrent_gets(etagd.port(), 3, no_headers);

  CHECK(origin.request_count("/api/hot") == 1);
  for (const Outcome& o : outcomes) {
    CHECK(o.error == "");
    CHECK(o.body == "slow answer");
  }
  // A later request is no collapsed one: the stored response is stale for it.
  etagd.get("/api/hot");
  CHECK(origin.request_count("/api/hot") == 2);
}

TEST_CASE("a request with credentials the key ignores goes upstream at once, not behind an "
          "anonymous request's fetch") {
  // It could not use the anonymous request's entry (RFC 9111 §3.5; Cookie likewise unless the
  // rule keys on it): waiting for it would only delay its own fetch by the leader's.
  for (const HeaderFields& credentials :
       {HeaderFields{{"Authorization", "Bearer alice"}}, HeaderFields{{"Cookie", "sessionid=s1"}}}) {
    CAPTURE(credentials.all(credentials.begin()->name).front());
    ScriptedOrigin origin;
    route_slow_user_data(origin);
    uint16_t admin = free_port();
    CachingEtagd etagd(origin, {.admin_port = admin});
    Overlap o = overlapping_gets(etagd, origin, {}, credentials);
    CHECK(o.first.body == "public data");
    CHECK(o.second.status == 200);
    CHECK(o.second.body.find("data of ") == 0);
    CHECK(o.second_took < 1700ms);
    CHECK(origin.request_count("/api/slow") == 2);
    CHECK(sample_value(http_get(admin, "/metrics").body, "etagd_coalesced_waits_total") == 0);
  }
}

TEST_CASE("an anonymous request does not wait behind the fetch of a request with credentials the "
          "key ignores") {
  // That fetch's answer is the authenticated user's: it is not stored for the anonymous one.
  ScriptedOrigin origin;
  route_slow_user_data(origin);
  uint16_t admin = free_port();
  CachingEtagd etagd(origin, {.admin_port = admin});
  Overlap o = overlapping_gets(etagd, origin, {{"Authorization", "Bearer alice"}}, {});
  CHECK(o.first.body == "data of Bearer alice");
  CHECK(o.second.body == "public data");
  CHECK(o.second_took < 1700ms);
  CHECK(origin.request_count("/api/slow") == 2);
  CHECK(sample_value(http_get(admin, "/metrics").body, "etagd_coalesced_waits_total") == 0);
  // The anonymous answer is the one stored.
  HttpResponse again = etagd.get("/api/slow");
  CHECK(cache_status(again) == "HIT");
  CHECK(again.body == "public data");
}

}  // namespace etagd::testing
