// What every cache integration test needs: the real etagd binary on a free loopback port in
// front of a ScriptedOrigin, configured with cache settings and rules written as YAML, plus a
// few readers for the headers the cache adds.
//
//   ScriptedOrigin origin;
//   CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});
//   HttpResponse first = etagd.get("/api/items");     // X-Cache: MISS, one origin request
//   HttpResponse second = etagd.get("/api/items");    // X-Cache: HIT, still one
//
// The cache is what these tests observe, so they count requests at the origin: a hit is a
// response that did not reach it. When a CachingEtagd goes away it stops etagd with SIGTERM,
// expects a clean exit, and fails the test if etagd's log holds a sanitizer report, so every
// test doubles as an ASan/UBSan probe in a -DETAGD_SANITIZE=ON build.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/etagd_process.h"
#include "support/eventually.h"
#include "support/http_client.h"
#include "support/scripted_origin.h"

namespace etagd::testing {

using namespace std::chrono_literals;

struct CacheSetup {
  std::string workers = "1";
  // Keys inside `timeouts: { shutdown: 2s, <here> }`, e.g. "upstream_read: 500ms".
  std::string timeouts{};
  // Keys inside `cache: { <here> }`, e.g. "max_memory: 1MiB, shards: 1".
  std::string cache{};
  // Keys inside `defaults: { <here> }`; empty keeps the built-in defaults (RFC 9111 shared
  // cache, ttl origin).
  std::string defaults{};
  // The `rules:` list, one flow mapping per rule, e.g.
  // "{ match: { prefix: /api/ }, cache: store, ttl: 60s }". Empty: no rules at all.
  std::vector<std::string> rules{};
  // The admin listener's port on 127.0.0.1; 0 leaves admin off.
  uint16_t admin_port = 0;
  // More top-level YAML, one key per line.
  std::string extra{};
};

// The YAML a CacheSetup describes, for etagd on `port` in front of `upstream_port`.
std::string cache_config(uint16_t port, uint16_t upstream_port, const CacheSetup& setup);

class CachingEtagd {
 public:
  // Starts etagd in front of `origin` and waits until it listens (throws with etagd's log if
  // it does not).
  explicit CachingEtagd(const ScriptedOrigin& origin, CacheSetup setup = {});
  ~CachingEtagd();
  CachingEtagd(const CachingEtagd&) = delete;
  CachingEtagd& operator=(const CachingEtagd&) = delete;

  uint16_t port() const { return port_; }
  std::string log() const { return process_->log(); }
  const std::string& config() const { return config_; }
  EtagdProcess& process() { return *process_; }

  // One request on a fresh connection.
  HttpResponse get(std::string_view target, const HeaderFields& headers = {}) const;
  HttpResponse head(std::string_view target, const HeaderFields& headers = {}) const;
  HttpResponse request(std::string_view method, std::string_view target,
                       const HeaderFields& headers = {}, std::string_view body = {}) const;
  HttpClient client(std::chrono::milliseconds timeout = 5000ms) const;

 private:
  uint16_t port_;
  std::string config_;
  std::optional<EtagdProcess> process_;
};

// The cache-status header (X-Cache) of a response, "" when absent.
std::string cache_status(const HttpResponse& response);
// The Age header as a number; -1 when absent or not a number.
long age_of(const HttpResponse& response);
// A strong entity tag: a quoted string without the W/ prefix (RFC 9110 §8.8.3).
bool is_strong_etag(std::string_view tag);
// The tag with a W/ prefix: the weak form of the same opaque tag.
std::string weak_form(std::string_view strong_tag);

// `size` bytes that depend on `seed` and on the position, including CR, LF and NUL, so two
// bodies of one size but different seeds differ and a truncated or reordered copy shows.
std::string patterned_body(size_t size, unsigned seed);

// etagd counts time in whole seconds (RFC 9111 ages are delta-seconds). Sleeps until the wall
// clock has just entered a new second, so a test that needs "still fresh" for a 1-2 s
// lifetime has almost the whole second ahead of it. Costs up to one second.
void align_to_second_start();
// An HTTP-date (IMF-fixdate) `offset` seconds from now.
std::string http_date_from_now(long offset_seconds);

// A resource at the origin whose representation a test changes while etagd runs, and which
// answers conditional requests like a real origin: If-None-Match against its ETag field, else
// If-Modified-Since against its Last-Modified field, with a 304 carrying `not_modified_fields`
// (RFC 9110 §15.4.5) when they match. Thread-safe: the handler runs on origin threads.
class OriginResource {
 public:
  OriginResource(int status, HeaderFields fields, std::string body);

  void set(int status, HeaderFields fields, std::string body);
  void set_body(std::string body);
  // Fields sent with a 304; by default the resource's own fields.
  void set_not_modified_fields(HeaderFields fields);
  // Wait this long before answering (slow origin).
  void set_delay(std::chrono::milliseconds delay);

  OriginHandler handler() const;
  // How many requests this resource answered with 304.
  size_t not_modified_count() const;

 private:
  struct State {
    mutable std::mutex mu;
    int status = 200;
    HeaderFields fields;
    std::optional<HeaderFields> not_modified_fields;
    std::string body;
    std::chrono::milliseconds delay{0};
    size_t not_modified = 0;
  };
  std::shared_ptr<State> state_;
};

}  // namespace etagd::testing

// Lets CHECK print the field lists compared with HeaderFields::all().
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& values) {
    std::string out = "{";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? ", \"" : "\"") + values[i] + "\"";
    return (out + "}").c_str();
  }
};
