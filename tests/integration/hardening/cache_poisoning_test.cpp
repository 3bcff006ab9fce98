// Cache poisoning: what one client sends must not change what etagd stores
// for everybody else.
//
// Each test has a "poisoning" client send something the cache key does not contain, an origin
// that reflects it into a cacheable response (as real frameworks do with X-Forwarded-Host,
// X-Original-URL, method overrides or a GET body), and then a clean client that must get the
// clean answer. etagd may strip the field, key on it or refuse to store the response: which
// defence it uses is its business, the clean client's answer is what is checked. Then: answers
// to requests with Authorization, error answers, and bodies the upstream cut short.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/proxy_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

// Store mode for every request, freshness from the upstream (the built-in defaults).
ProxySettings caching(std::string rules = "") {
  ProxySettings s;
  s.defaults = "cache: store";
  if (!rules.empty()) s.extra = "rules:\n  - " + rules + "\n";
  return s;
}

// A cacheable answer that shows the value of `field` as the origin received it.
OriginHandler reflect(std::string field, HeaderFields extra = {}) {
  return [field, extra](const OriginRequest& req, OriginReply& r) {
    HeaderFields fields = extra;
    fields.add("Cache-Control", "max-age=60");
    const std::string* value = req.headers.find(field);
    r.reply(200, fields, field + "=" + (value ? *value : "none"));
  };
}

// The poisoning client sends `field: value`; a clean client afterwards must not get `value`.
// (Not "must get field=none": etagd may overwrite the field with its own value, as nginx's
// proxy_set_header X-Forwarded-Host $host does.)
void expect_unkeyed_field_cannot_poison(const std::string& field, const std::string& value) {
  CAPTURE(field);
  ScriptedOrigin origin;
  origin.route("/page", reflect(field));
  Proxy proxy(origin, caching());

  HttpResponse poisoned = http_get(proxy.port(), "/page", {{field, value}});
  CHECK(poisoned.status == 200);
  for (int i = 0; i < 2; ++i) {
    HttpResponse clean = http_get(proxy.port(), "/page");
    CHECK(clean.status == 200);
    CHECK_MESSAGE(clean.body.find(value) == std::string::npos, "a clean client got the poisoned ",
                  "answer (", clean.headers.get("X-Cache"), "): ", clean.body);
  }
}

OriginHandler echo_authorization(HeaderFields fields) {
  return [fields](const OriginRequest& req, OriginReply& r) {
    const std::string* auth = req.headers.find("Authorization");
    r.reply(200, fields, auth ? "data of " + *auth : "public data");
  };
}

// Alice, Bob and an anonymous client ask for /api/me in turns. RFC 9111 §3.5 forbids serving
// a response to an authorized request to anyone else; it allows serving a stored public
// response to an authorized request. So each may get its own data or the public data, never
// someone else's.
void expect_each_sees_only_own_or_public_data(uint16_t port) {
  const std::vector<std::string> callers = {"Bearer alice", "Bearer bob", ""};
  for (int round = 0; round < 3; ++round) {
    for (const std::string& auth : callers) {
      CAPTURE(round);
      CAPTURE(auth);
      HeaderFields fields;
      if (!auth.empty()) fields.add("Authorization", auth);
      std::string body = http_get(port, "/api/me", fields).body;
      if (auth.empty()) {
        CHECK(body == "public data");
      } else {
        CHECK((body == "data of " + auth || body == "public data"));
      }
    }
  }
}

// First request: `first` (a cut body, an error...); every later one: 200 with `body`.
OriginHandler first_then_full(OriginHandler first, std::string body) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  return [=](const OriginRequest& req, OriginReply& r) {
    if ((*calls)++ == 0) {
      first(req, r);
    } else {
      r.reply(200, {{"Cache-Control", "max-age=60"}}, body);
    }
  };
}

// A response that cannot have been passed off as the whole body: an error status, or a body
// the client itself can tell is incomplete.
bool honest_failure(const HttpResponse& r) { return r.status >= 500 || !r.complete; }

}  // namespace

// --- Unkeyed request fields ---------------------------------------------------------------------
// A response to a request carrying one of these fields is stored only for requests with the
// same value (proxy/cache_variant.h): the first client's field never decides what others get.

TEST_CASE("X-Forwarded-Host from one client cannot change what others are served") {
  expect_unkeyed_field_cannot_poison("X-Forwarded-Host", "evil.example");
}

TEST_CASE("X-Host and X-Forwarded-Server from one client cannot change what others are served") {
  expect_unkeyed_field_cannot_poison("X-Host", "evil.example");
  expect_unkeyed_field_cannot_poison("X-Forwarded-Server", "evil.example");
}

TEST_CASE("Forwarded: host= from one client cannot change what others are served") {
  expect_unkeyed_field_cannot_poison("Forwarded", "host=evil.example;proto=https");
}

TEST_CASE("X-Original-URL and X-Rewrite-URL from one client cannot change what others are served") {
  // IIS and Symfony route on these: /page would be answered with /admin's content.
  expect_unkeyed_field_cannot_poison("X-Original-URL", "/admin");
  expect_unkeyed_field_cannot_poison("X-Rewrite-URL", "/admin");
}

TEST_CASE("a method override from one client cannot change what others are served") {
  // Frameworks run a GET carrying one of these as the named method.
  expect_unkeyed_field_cannot_poison("X-HTTP-Method-Override", "DELETE");
  expect_unkeyed_field_cannot_poison("X-HTTP-Method", "DELETE");
  expect_unkeyed_field_cannot_poison("X-Method-Override", "DELETE");
}

TEST_CASE("a GET body from one client cannot change what others are served") {
  // "Fat GET": some frameworks read parameters from a GET's body as well as from its query.
  // etagd forwards such a request but never stores (or coalesces) its answer.
  ScriptedOrigin origin;
  origin.route("/search", [](const OriginRequest& req, OriginReply& r) {
    r.reply(200, {{"Cache-Control", "max-age=60"}}, "results for [" + req.body + "]");
  });
  Proxy proxy(origin, caching());
  HttpClient poisoner = proxy.client();
  poisoner.send_raw("GET /search HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nevil");
  HttpResponse poisoned = poisoner.read_response();
  CHECK(poisoned.status < 500);
  HttpResponse clean = http_get(proxy.port(), "/search", {{"Host", "a"}});
  CHECK(clean.status == 200);
  CHECK(clean.body == "results for []");
}

TEST_CASE("a Host with a port is its own cache key, apart from the Host without it") {
  ScriptedOrigin origin;
  origin.route("/page", reflect("Host"));
  Proxy proxy(origin, caching());
  HttpResponse with_port = http_get(proxy.port(), "/page", {{"Host", "example.com:1234"}});
  CHECK(with_port.body == "Host=example.com:1234");
  for (int i = 0; i < 2; ++i) {
    HttpResponse plain = http_get(proxy.port(), "/page", {{"Host", "example.com"}});
    CHECK(plain.body == "Host=example.com");
  }
  HttpResponse again = http_get(proxy.port(), "/page", {{"Host", "example.com:1234"}});
  CHECK(again.body == "Host=example.com:1234");
  CHECK(again.headers.get("X-Cache") == "HIT");
  CHECK(origin.request_count("/page") == 2);
}

TEST_CASE("a response that says Vary on the reflected field is stored per value of it") {
  ScriptedOrigin origin;
  origin.route("/page", reflect("X-Forwarded-Host", {{"Vary", "X-Forwarded-Host"}}));
  Proxy proxy(origin, caching());
  http_get(proxy.port(), "/page", {{"X-Forwarded-Host", "evil.example"}});
  for (int i = 0; i < 2; ++i) {
    HttpResponse clean = http_get(proxy.port(), "/page");
    CHECK(clean.status == 200);
    CHECK(clean.body.find("evil.example") == std::string::npos);
  }
  CHECK(http_get(proxy.port(), "/page").headers.get("X-Cache") == "HIT");
}

// --- Authorization (RFC 9111 §3.5) --------------------------------------------------------------

TEST_CASE("a rule ttl alone does not share responses to requests with Authorization") {
  // The fixed ttl is the operator's intent about freshness, not about who may see the data.
  ScriptedOrigin origin;
  origin.route("/api/me", echo_authorization({}));
  Proxy proxy(origin, caching("{ match: { prefix: /api/ }, ttl: 60s }"));
  expect_each_sees_only_own_or_public_data(proxy.port());
}

TEST_CASE("ignore_upstream_cache_control does not share private answers to authorized requests") {
  ScriptedOrigin origin;
  origin.route("/api/me", echo_authorization({{"Cache-Control", "private, max-age=60"}}));
  Proxy proxy(origin, caching("{ match: { prefix: /api/ }, ttl: 60s, "
                              "ignore_upstream_cache_control: true }"));
  expect_each_sees_only_own_or_public_data(proxy.port());
}

TEST_CASE("requests waiting for an authorized request's fetch are not handed its answer") {
  // Without key_headers the three requests share one coalescing key; the authorized answer
  // is not storable, so the waiters must fetch their own.
  ScriptedOrigin origin;
  origin.route("/api/me", script::delayed(400ms, echo_authorization({{"Cache-Control",
                                                                      "max-age=60"}})));
  Proxy proxy(origin, caching());
  std::string alice_body;
  std::thread alice([&] {
    alice_body = http_get(proxy.port(), "/api/me", {{"Authorization", "Bearer alice"}}).body;
  });
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  std::string anonymous_body;
  std::string bob_body;
  std::thread anonymous([&] { anonymous_body = http_get(proxy.port(), "/api/me").body; });
  std::thread bob([&] {
    bob_body = http_get(proxy.port(), "/api/me", {{"Authorization", "Bearer bob"}}).body;
  });
  alice.join();
  anonymous.join();
  bob.join();
  CHECK(alice_body == "data of Bearer alice");
  CHECK(anonymous_body == "public data");
  CHECK(bob_body == "data of Bearer bob");
}

// --- Errors and cut bodies are never stored ------------------------------------------------------

TEST_CASE("under rules a 5xx answer is never stored, even when the upstream marks it fresh") {
  // RFC 9111 would allow it (explicit freshness makes any final status storable), but once an
  // operator writes rules etagd never stores errors: one failing origin request must not turn
  // into a minute of errors for everybody. (With no rules at all etagd is the plain RFC 9111
  // cache and does store them; freshness_test.cpp.)
  ScriptedOrigin origin;
  for (int status : {500, 502, 503, 504}) {
    origin.route("/err/" + std::to_string(status),
                 first_then_full(script::respond(status, {{"Cache-Control", "max-age=60"}},
                                                 "error " + std::to_string(status)),
                                 "recovered"));
  }
  Proxy proxy(origin, caching("{ match: { prefix: /err/ }, cache: store }"));
  for (int status : {500, 502, 503, 504}) {
    CAPTURE(status);
    std::string path = "/err/" + std::to_string(status);
    CHECK(http_get(proxy.port(), path).status == status);
    HttpResponse next = http_get(proxy.port(), path);
    CHECK(next.status == 200);
    CHECK(next.body == "recovered");
    CHECK(origin.request_count(path) == 2);
  }
}

TEST_CASE("a 5xx answer is never stored under a rule ttl") {
  ScriptedOrigin origin;
  for (int status : {500, 503}) {
    origin.route("/api/err/" + std::to_string(status),
                 first_then_full(script::respond(status, {}, "error"), "recovered"));
  }
  Proxy proxy(origin, caching("{ match: { prefix: /api/ }, ttl: 60s }"));
  for (int status : {500, 503}) {
    CAPTURE(status);
    std::string path = "/api/err/" + std::to_string(status);
    CHECK(http_get(proxy.port(), path).status == status);
    CHECK(http_get(proxy.port(), path).body == "recovered");
    CHECK(origin.request_count(path) == 2);
  }
}

TEST_CASE("a body the upstream cuts short is answered as a failure and never stored") {
  const std::string full = binary_body(20000);
  ScriptedOrigin origin;
  origin.route("/cut-length", first_then_full(script::close_mid_body(200, full, 7000), full));
  origin.route("/cut-chunked", first_then_full(
                                   [](const OriginRequest&, OriginReply& r) {
                                     r.write_head(200, {{"Cache-Control", "max-age=60"},
                                                        {"Transfer-Encoding", "chunked"}});
                                     r.write_raw("5\r\nhello\r\n");
                                     r.close();  // no last-chunk
                                   },
                                   full));
  Proxy proxy(origin, caching());
  for (const char* path : {"/cut-length", "/cut-chunked"}) {
    CAPTURE(path);
    HttpResponse cut = http_get(proxy.port(), path);
    CHECK(honest_failure(cut));
    HttpResponse next = http_get(proxy.port(), path);
    CHECK(next.status == 200);
    CHECK(next.body == full);
    CHECK(next.headers.get("X-Cache") == "MISS");
    CHECK(origin.request_count(path) == 2);
    HttpResponse hit = http_get(proxy.port(), path);
    CHECK(hit.body == full);
    CHECK(hit.headers.get("X-Cache") == "HIT");
  }
}

TEST_CASE("requests coalesced behind a fetch that is cut short never get a partial body") {
  const std::string full = binary_body(50000);
  ScriptedOrigin origin;
  origin.route("/shared", first_then_full(
                              [&full](const OriginRequest&, OriginReply& r) {
                                r.write_head(200, {{"Cache-Control", "max-age=60"},
                                                   {"Content-Length", std::to_string(full.size())}});
                                r.write_raw(std::string_view(full).substr(0, 10000));
                                r.sleep(300ms);  // the other requests join meanwhile
                                r.close();
                              },
                              full));
  Proxy proxy(origin, caching());
  std::vector<HttpResponse> answers(5);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < answers.size(); ++i) {
    clients.emplace_back([&, i] {
      try {
        answers[i] = http_get(proxy.port(), "/shared");
      } catch (const HttpError&) {
        answers[i].status = -1;  // a cut connection is an honest failure too
        answers[i].complete = false;
      }
    });
    if (i == 0) REQUIRE(origin.wait_for_requests(1, 2000ms));
  }
  for (auto& t : clients) t.join();
  for (const HttpResponse& a : answers) {
    CHECK((honest_failure(a) || a.body == full));
    if (a.status == 200 && a.complete) CHECK(a.body.size() == full.size());
  }
  HttpResponse after = http_get(proxy.port(), "/shared");
  CHECK(after.status == 200);
  CHECK(after.body == full);
}

TEST_CASE("a cut 200 answer to a revalidation does not replace the stored response") {
  // Stored: v1, fresh for one second. Then the origin changes to v2 but cuts its body short
  // once: the cut v2 must not become what the cache holds.
  const std::string v1 = binary_body(8000);
  const std::string v2(12000, 'v');
  auto calls = std::make_shared<std::atomic<int>>(0);
  ScriptedOrigin origin;
  origin.route("/doc", [=](const OriginRequest&, OriginReply& r) {
    int call = (*calls)++;
    if (call == 0) {
      // Stale on arrival: Age 5 against max-age=1 (RFC 9111 §4.2.3).
      r.reply(200, {{"Cache-Control", "max-age=1"}, {"ETag", "\"v1\""}, {"Age", "5"}}, v1);
    } else if (call == 1) {
      r.write_head(200, {{"Cache-Control", "max-age=60"},
                         {"ETag", "\"v2\""},
                         {"Content-Length", std::to_string(v2.size())}});
      r.write_raw(std::string_view(v2).substr(0, 3000));
      r.close();
    } else {
      r.reply(200, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v2\""}}, v2);
    }
  });
  Proxy proxy(origin, caching());
  CHECK(http_get(proxy.port(), "/doc").body == v1);
  HttpResponse cut = http_get(proxy.port(), "/doc");
  CHECK((honest_failure(cut) || cut.body == v1));
  HttpResponse next = http_get(proxy.port(), "/doc");
  CHECK(next.status == 200);
  CHECK(next.body == v2);
  CHECK(origin.request_count("/doc") == 3);
  CHECK(http_get(proxy.port(), "/doc").body == v2);
}

}  // namespace etagd::testing
