#include "soak_workload.h"

#include <memory>
#include <optional>
#include <random>

#include "support/http_client.h"
#include "support/origin_scripts.h"

namespace etagd::testing {

using namespace std::chrono_literals;

namespace {

constexpr int kItems = 800;  // about 20 MiB of distinct item bodies: more than the cache holds
constexpr int kFaultyKeys = 40;
constexpr int kBigBodies = 8;
constexpr size_t kBigBodySize = 600 * 1024;
constexpr size_t kMaxDetails = 20;

// Segment name of a path: "/api/items/12" -> "items", "/faulty/reset/3" -> "reset".
std::string route_kind(const std::string& path) {
  size_t second = path.find('/', 1);
  size_t third = path.find('/', second + 1);
  return path.substr(second + 1, third - second - 1);
}

int number_at_end(const std::string& path) { return std::stoi(path.substr(path.rfind('/') + 1)); }

}  // namespace

const std::string& item_body(int n) {
  // Built once: every answer is compared with it, and regenerating 48 KiB per check would make
  // the test client, not etagd, the bottleneck.
  static const std::vector<std::string> bodies = [] {
    std::vector<std::string> all(kItems);
    for (int k = 0; k < kItems; ++k) {
      size_t size = 1024 + static_cast<size_t>(k % 48) * 1024;
      all[k].resize(size);
      for (size_t i = 0; i < size; ++i) {
        all[k][i] = static_cast<char>((i * 7 + static_cast<size_t>(k)) % 251);
      }
    }
    return all;
  }();
  return bodies.at(static_cast<size_t>(n));
}

const std::string& big_body(int n) {
  static const std::vector<std::string> bodies = [] {
    std::vector<std::string> all(kBigBodies);
    for (int k = 0; k < kBigBodies; ++k) {
      all[k].resize(kBigBodySize);
      for (size_t i = 0; i < kBigBodySize; ++i) {
        all[k][i] = static_cast<char>((i + static_cast<size_t>(k) * 13) % 253);
      }
    }
    return all;
  }();
  return bodies.at(static_cast<size_t>(n));
}

void install_soak_routes(ScriptedOrigin& origin) {
  origin.route("/api/items/*", [](const OriginRequest& req, OriginReply& r) {
    if (req.method == "PUT" || req.method == "POST") {
      r.reply(200, {{"Content-Type", "text/plain"}}, "stored");
    } else if (req.method == "DELETE") {
      r.reply(204);
    } else {
      r.reply(200, {{"Content-Type", "application/octet-stream"}},
              item_body(number_at_end(req.path)));
    }
  });
  origin.route("/api/big/*", [](const OriginRequest& req, OriginReply& r) {
    r.reply(200, {}, big_body(number_at_end(req.path)));
  });
  const std::string faulty_body(20000, 'f');
  origin.route("/faulty/reset/*", script::reset_mid_body(200, faulty_body, 5000));
  origin.route("/faulty/cut/*", script::close_mid_body(200, faulty_body, 5000));
  origin.route("/faulty/garbage/*", script::garbage());
  origin.route("/faulty/slow/*", script::delayed(kSlowRouteDelay, script::respond(200, {}, "late")));
  origin.route("/faulty/drip/*", script::drip_body(200, "drip", kDripGap));
  origin.route("/faulty/error/*", script::respond(500, {}, "origin error"));
}

void SoakTally::record(const std::string& kind, bool expected, const std::string& detail) {
  (expected ? expected_ : unexpected_)++;
  std::lock_guard<std::mutex> lock(mu_);
  ++kinds_[expected ? kind : "UNEXPECTED " + kind];
  if (!expected && details_.size() < kMaxDetails) details_.push_back(kind + ": " + detail);
}

std::map<std::string, uint64_t> SoakTally::by_kind() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kinds_;
}

std::vector<std::string> SoakTally::unexpected_details() const {
  std::lock_guard<std::mutex> lock(mu_);
  return details_;
}

namespace {

struct Request {
  std::string method;
  std::string path;
  HeaderFields headers;
};

// Whether `r`, the answer to `req`, is one the workload allows; `why` says what is wrong.
bool answer_allowed(const Request& req, const HttpResponse& r, std::string& why) {
  std::string kind = route_kind(req.path);
  int n = number_at_end(req.path);
  auto expect = [&](bool ok, std::string what) {
    if (!ok) why = std::move(what);
    return ok;
  };
  if (kind == "items") {
    if (req.method == "PUT") return expect(r.status == 200 && r.body == "stored", "bad PUT answer");
    if (req.method == "DELETE") return expect(r.status == 204, "bad DELETE answer");
    if (r.status == 304) return expect(req.headers.contains("If-None-Match"), "304 unasked");
    if (r.status != 200) return expect(false, "status " + std::to_string(r.status));
    if (req.method == "HEAD") {
      return expect(r.body.empty() &&
                        r.headers.get("Content-Length") == std::to_string(item_body(n).size()),
                    "bad HEAD answer");
    }
    return expect(r.complete && r.body == item_body(n), "wrong or partial item body");
  }
  if (kind == "big") {
    return expect(r.status == 200 && r.complete && r.body == big_body(n), "wrong big body");
  }
  if (kind == "reset" || kind == "cut" || kind == "garbage") {
    return expect(r.status == 502, "status " + std::to_string(r.status));
  }
  if (kind == "slow") return expect(r.status == 504, "status " + std::to_string(r.status));
  if (kind == "drip") return expect(r.status == 200 && r.body == "drip", "bad drip answer");
  if (kind == "error") return expect(r.status == 500, "status " + std::to_string(r.status));
  return expect(false, "unknown route");
}

}  // namespace

void run_soak_client(uint16_t port, unsigned seed, const std::atomic<bool>& stop,
                     std::chrono::steady_clock::time_point deadline, uint64_t max_requests,
                     SoakTally& tally) {
  std::mt19937 rng(seed);
  auto pick = [&](int below) { return static_cast<int>(rng() % static_cast<unsigned>(below)); };
  std::map<int, std::string> etags;  // last ETag seen per item, for conditional requests
  std::unique_ptr<HttpClient> client;

  for (uint64_t i = 0; i < max_requests && !stop && std::chrono::steady_clock::now() < deadline;
       ++i) {
    Request req;
    int roll = pick(100);
    if (roll < 70) {
      int n = pick(kItems);
      req = {"GET", "/api/items/" + std::to_string(n), {}};
      if (pick(4) == 0 && etags.count(n)) req.headers.add("If-None-Match", etags[n]);
    } else if (roll < 80) {
      req = {"HEAD", "/api/items/" + std::to_string(pick(kItems)), {}};
    } else if (roll < 84) {
      req = {pick(2) == 0 ? "PUT" : "DELETE", "/api/items/" + std::to_string(pick(kItems)), {}};
    } else if (roll < 90) {
      req = {"GET", "/api/big/" + std::to_string(pick(kBigBodies)), {}};
    } else {
      // One request in ten meets a faulty route. The slow one holds its client for a second
      // (upstream_read), so it comes up less often than the others.
      static const char* const kFaults[] = {"reset", "cut",   "garbage", "drip", "error", "reset",
                                            "cut",   "garbage", "drip",  "error", "slow"};
      constexpr int kFaultCount = sizeof kFaults / sizeof kFaults[0];
      req = {"GET",
             std::string("/faulty/") + kFaults[pick(kFaultCount)] + "/" +
                 std::to_string(pick(kFaultyKeys)),
             {}};
    }
    std::string kind = req.method + " " + route_kind(req.path);
    std::string body = req.method == "PUT" ? "new content" : "";

    tally.count_sent();
    try {
      if (!client || !client->is_open()) client = std::make_unique<HttpClient>(port, 10000ms);
      HttpResponse r = client->request(req.method, req.path, req.headers, body);
      std::string why;
      bool allowed = answer_allowed(req, r, why);
      std::string outcome = kind + " " + std::to_string(r.status);
      if (route_kind(req.path) == "items" && req.method != "PUT" && req.method != "DELETE") {
        outcome += " " + r.headers.get("X-Cache");  // HIT, MISS, REVALIDATED...
      }
      tally.record(outcome, allowed, req.path + ": " + why);
      if (allowed && r.status == 200 && req.method == "GET" && route_kind(req.path) == "items") {
        etags[number_at_end(req.path)] = r.headers.get("ETag");
      }
      if (!r.keeps_alive() || !r.complete) client.reset();
    } catch (const HttpError& e) {
      // A connection cut before an answer is allowed only where the origin cuts its own.
      std::string fault = route_kind(req.path);
      bool allowed = fault == "reset" || fault == "cut";
      tally.record(kind + " cut connection", allowed, req.path + ": " + e.what());
      client.reset();
    }
  }
}

}  // namespace etagd::testing
