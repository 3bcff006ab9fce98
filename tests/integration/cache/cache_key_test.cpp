// What makes two requests share a stored response: host, path and query, the
// rule's key_headers, and the request fields the stored response's Vary names. And the
// RFC 9111 §3.5 rule that keeps one user's authenticated response from another.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {
namespace {

// Answers with the caller's Authorization in the body, so a leak shows.
OriginHandler echo_authorization(HeaderFields fields) {
  return [fields](const OriginRequest& req, OriginReply& reply) {
    const std::string* auth = req.headers.find("Authorization");
    reply.reply(200, fields, auth ? "data of " + *auth : "public data");
  };
}

}  // namespace

TEST_CASE("tenants keyed on Authorization each get their own stored response") {
  ScriptedOrigin origin;
  origin.route("/api/me", echo_authorization({}));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, "
                                        "key_headers: [Authorization] }"}});
  const HeaderFields alice{{"Authorization", "Bearer alice"}};
  const HeaderFields bob{{"Authorization", "Bearer bob"}};

  CHECK(etagd.get("/api/me", alice).body == "data of Bearer alice");
  CHECK(etagd.get("/api/me", bob).body == "data of Bearer bob");
  CHECK(etagd.get("/api/me").body == "public data");
  for (int round = 0; round < 2; ++round) {
    HttpResponse a = etagd.get("/api/me", alice);
    HttpResponse b = etagd.get("/api/me", bob);
    HttpResponse anonymous = etagd.get("/api/me");
    CHECK(cache_status(a) == "HIT");
    CHECK(a.body == "data of Bearer alice");
    CHECK(cache_status(b) == "HIT");
    CHECK(b.body == "data of Bearer bob");
    CHECK(cache_status(anonymous) == "HIT");
    CHECK(anonymous.body == "public data");
  }
  CHECK(origin.request_count("/api/me") == 3);
  // One tenant's ETag is no validator for another's response.
  std::string alice_tag = etagd.get("/api/me", alice).headers.get("ETag");
  HttpResponse bob_with_alice_tag =
      etagd.get("/api/me", {{"Authorization", "Bearer bob"}, {"If-None-Match", alice_tag}});
  CHECK(bob_with_alice_tag.status == 200);
  CHECK(bob_with_alice_tag.body == "data of Bearer bob");
}

TEST_CASE("without a rule keying on Authorization, an authorized response is not stored") {
  // RFC 9111 §3.5: a shared cache must not use a response to a request with Authorization
  // for other requests, unless the response explicitly allows it.
  ScriptedOrigin origin;
  origin.route("/api/me", echo_authorization({{"Cache-Control", "max-age=60"}}));
  CachingEtagd etagd(origin);  // no rules: defaults, ttl origin

  HttpResponse first = etagd.get("/api/me", {{"Authorization", "Bearer alice"}});
  HttpResponse second = etagd.get("/api/me", {{"Authorization", "Bearer alice"}});
  CHECK(second.body == "data of Bearer alice");
  CHECK(cache_status(second) != "HIT");
  HttpResponse other = etagd.get("/api/me", {{"Authorization", "Bearer bob"}});
  CHECK(other.body == "data of Bearer bob");
  HttpResponse anonymous = etagd.get("/api/me");
  CHECK(anonymous.body == "public data");
  CHECK(origin.request_count("/api/me") == 4);
}

TEST_CASE("an authorized response marked public or with s-maxage is stored and shared") {
  ScriptedOrigin origin;
  origin.route("/api/public", echo_authorization({{"Cache-Control", "public, max-age=60"}}));
  origin.route("/api/shared", echo_authorization({{"Cache-Control", "s-maxage=60"}}));
  CachingEtagd etagd(origin);

  for (const char* path : {"/api/public", "/api/shared"}) {
    CAPTURE(path);
    etagd.get(path, {{"Authorization", "Bearer alice"}});
    HttpResponse again = etagd.get(path, {{"Authorization", "Bearer alice"}});
    CHECK(cache_status(again) == "HIT");
    CHECK(again.body == "data of Bearer alice");
    CHECK(origin.request_count(path) == 1);
  }
}

TEST_CASE("a request with Authorization is not answered from an anonymous request's entry") {
  // The rule keys on a session cookie, not on Authorization: the entry stored for the
  // anonymous request says nothing about what the origin answers someone authenticated.
  ScriptedOrigin origin;
  origin.route("/api/me", echo_authorization({{"Cache-Control", "max-age=60"}}));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, "
                                        "key_cookies: [sessionid] }"}});
  etagd.get("/api/me");
  CHECK(cache_status(etagd.get("/api/me")) == "HIT");

  HttpResponse bearer = etagd.get("/api/me", {{"Authorization", "Bearer x"}});
  CHECK(bearer.body == "data of Bearer x");
  CHECK(cache_status(bearer) == "MISS");
  CHECK(origin.request_count("/api/me") == 2);
  // Its answer was not stored over the anonymous one.
  HttpResponse anonymous = etagd.get("/api/me");
  CHECK(cache_status(anonymous) == "HIT");
  CHECK(anonymous.body == "public data");
}

TEST_CASE("an entry the origin marked public answers requests with Authorization") {
  // RFC 9111 §3.5 lets public, s-maxage and must-revalidate share a response to a request
  // with Authorization; etagd reads the same directives as the origin's word that the entry
  // may answer such requests, whoever it was stored for.
  ScriptedOrigin origin;
  origin.route("/api/news", echo_authorization({{"Cache-Control", "public, max-age=60"}}));
  CachingEtagd etagd(origin);
  etagd.get("/api/news");
  HttpResponse bearer = etagd.get("/api/news", {{"Authorization", "Bearer x"}});
  CHECK(cache_status(bearer) == "HIT");
  CHECK(bearer.body == "public data");
  CHECK(origin.request_count("/api/news") == 1);
}

TEST_CASE("RFC 9111 4.1: Accept-Language values equal by their syntax share one variant") {
  ScriptedOrigin origin;
  origin.route("/api/greeting", [](const OriginRequest& req, OriginReply& reply) {
    reply.reply(200, {{"Vary", "Accept-Language"}, {"Cache-Control", "max-age=60"}},
                "for " + req.headers.get("Accept-Language"));
  });
  CachingEtagd etagd(origin);

  CHECK(cache_status(etagd.get("/api/greeting", {{"Accept-Language", "en-US,en;q=0.8"}})) == "MISS");
  HttpResponse same = etagd.get("/api/greeting", {{"Accept-Language", "en-us, en; q=0.8"}});
  CHECK(cache_status(same) == "HIT");
  CHECK(same.body == "for en-US,en;q=0.8");
  // Another preference order is another request.
  CHECK(cache_status(etagd.get("/api/greeting", {{"Accept-Language", "en;q=0.8, en-US"}})) ==
        "MISS");
  CHECK(origin.request_count("/api/greeting") == 2);
}

TEST_CASE("a varying field etagd has no syntax for is compared as sent") {
  ScriptedOrigin origin;
  origin.route("/api/t", [](const OriginRequest& req, OriginReply& reply) {
    reply.reply(200, {{"Vary", "X-Tenant"}, {"Cache-Control", "max-age=60"}},
                "for " + req.headers.get("X-Tenant"));
  });
  CachingEtagd etagd(origin);
  etagd.get("/api/t", {{"X-Tenant", "A"}});
  CHECK(cache_status(etagd.get("/api/t", {{"X-Tenant", "a"}})) == "MISS");
  CHECK(origin.request_count("/api/t") == 2);
}

TEST_CASE("Vary: Accept-Language keeps one variant per language and serves each its own") {
  ScriptedOrigin origin;
  origin.route("/api/greeting", [](const OriginRequest& req, OriginReply& reply) {
    std::string language = req.headers.get("Accept-Language");
    std::string body = language == "de" ? "Hallo" : language == "fr" ? "Bonjour" : "Hello";
    reply.reply(200, {{"Vary", "Accept-Language"}, {"Cache-Control", "max-age=60"}}, body);
  });
  CachingEtagd etagd(origin);

  CHECK(etagd.get("/api/greeting", {{"Accept-Language", "de"}}).body == "Hallo");
  CHECK(etagd.get("/api/greeting", {{"Accept-Language", "en"}}).body == "Hello");
  CHECK(etagd.get("/api/greeting").body == "Hello");
  HttpResponse de = etagd.get("/api/greeting", {{"Accept-Language", "de"}});
  HttpResponse en = etagd.get("/api/greeting", {{"Accept-Language", "en"}});
  HttpResponse none = etagd.get("/api/greeting");
  CHECK(cache_status(de) == "HIT");
  CHECK(de.body == "Hallo");
  CHECK(de.headers.get("Vary") == "Accept-Language");
  CHECK(cache_status(en) == "HIT");
  CHECK(en.body == "Hello");
  CHECK(cache_status(none) == "HIT");
  CHECK(de.headers.get("ETag") != en.headers.get("ETag"));
  CHECK(origin.request_count("/api/greeting") == 3);

  HttpResponse fr = etagd.get("/api/greeting", {{"Accept-Language", "fr"}});
  CHECK(cache_status(fr) == "MISS");
  CHECK(fr.body == "Bonjour");
  CHECK(origin.request_count("/api/greeting") == 4);
}

TEST_CASE("an upstream varying on Accept-Encoding: one variant per set of accepted codings") {
  // The upstream picks the coding itself; etagd keys on what each request accepts, so
  // differently written fields that accept the same codings share one stored response.
  ScriptedOrigin origin;
  origin.route("/api/doc", [](const OriginRequest& req, OriginReply& reply) {
    bool gzip = req.headers.get("Accept-Encoding").find("gzip") != std::string::npos;
    HeaderFields fields{{"Vary", "Accept-Encoding"}, {"Cache-Control", "max-age=60"}};
    if (gzip) fields.add("Content-Encoding", "gzip");
    reply.reply(200, fields, gzip ? "pretend-gzip" : "plain");
  });
  CachingEtagd etagd(origin);

  CHECK(etagd.get("/api/doc", {{"Accept-Encoding", "gzip, deflate, br"}}).body == "pretend-gzip");
  HttpResponse reordered = etagd.get("/api/doc", {{"Accept-Encoding", "br, deflate, gzip"}});
  CHECK(cache_status(reordered) == "HIT");
  CHECK(reordered.body == "pretend-gzip");
  CHECK(reordered.headers.get("Content-Encoding") == "gzip");

  HttpResponse plain = etagd.get("/api/doc");
  CHECK(cache_status(plain) == "MISS");
  CHECK(plain.body == "plain");
  HttpResponse br_only = etagd.get("/api/doc", {{"Accept-Encoding", "br"}});
  CHECK(cache_status(br_only) == "MISS");  // does not accept the stored gzip response
  CHECK(origin.request_count("/api/doc") == 3);
}

TEST_CASE("the query string and the host are part of the key") {
  ScriptedOrigin origin;  // the default handler echoes method and target
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});

  HttpResponse page1 = etagd.get("/api/items?page=1");
  HttpResponse page2 = etagd.get("/api/items?page=2");
  CHECK(page1.body != page2.body);
  CHECK(cache_status(etagd.get("/api/items?page=1")) == "HIT");
  CHECK(cache_status(etagd.get("/api/items?page=2")) == "HIT");
  CHECK(cache_status(etagd.get("/api/items")) == "MISS");
  CHECK(origin.request_count("/api/items") == 3);

  HttpResponse a = etagd.get("/api/host", {{"Host", "a.example"}});
  HttpResponse b = etagd.get("/api/host", {{"Host", "b.example"}});
  CHECK(cache_status(a) == "MISS");
  CHECK(cache_status(b) == "MISS");
  CHECK(cache_status(etagd.get("/api/host", {{"Host", "A.EXAMPLE"}})) == "HIT");  // any case
  CHECK(cache_status(etagd.get("/api/host", {{"Host", "a.example:80"}})) == "HIT");
  CHECK(origin.request_count("/api/host") == 2);
}

}  // namespace etagd::testing

namespace etagd::testing {
namespace {

// Answers with the caller's session cookie in the body, so a leak shows.
OriginHandler echo_session(HeaderFields fields) {
  return [fields](const OriginRequest& req, OriginReply& reply) {
    const std::string* cookie = req.headers.find("Cookie");
    reply.reply(200, fields, cookie ? "data of " + *cookie : "public data");
  };
}

}  // namespace

TEST_CASE("requests with different session cookies never share a stored response") {
  // A session-cookie API authenticates with Cookie as others do with Authorization: the same
  // rule applies (RFC 9111 §3.5), even under a store rule with a fixed ttl.
  ScriptedOrigin origin;
  origin.route("/api/me", echo_session({{"Cache-Control", "max-age=60"}}));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});
  HttpResponse one = etagd.get("/api/me", {{"Cookie", "session=1"}});
  HttpResponse two = etagd.get("/api/me", {{"Cookie", "session=2"}});
  CHECK(one.body == "data of session=1");
  CHECK(two.body == "data of session=2");
  CHECK(cache_status(two) == "MISS");
  CHECK(cache_status(etagd.get("/api/me", {{"Cookie", "session=1"}})) == "MISS");
  CHECK(origin.request_count("/api/me") == 3);
  // Without a cookie the response is shared as before.
  etagd.get("/api/me");
  CHECK(cache_status(etagd.get("/api/me")) == "HIT");
}

TEST_CASE("a request with Cookie is not answered from an anonymous request's entry") {
  // The rule keys on neither Cookie nor a cookie by name, as Varnish's default vcl_recv
  // passes any request with Cookie.
  ScriptedOrigin origin;
  origin.route("/api/me", echo_session({{"Cache-Control", "max-age=60"}}));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s }"}});
  etagd.get("/api/me");
  CHECK(cache_status(etagd.get("/api/me")) == "HIT");
  HttpResponse session = etagd.get("/api/me", {{"Cookie", "session=1"}});
  CHECK(session.body == "data of session=1");
  CHECK(cache_status(session) == "MISS");
  CHECK(origin.request_count("/api/me") == 2);
}

TEST_CASE("a response the origin marks public is shared even with a Cookie") {
  ScriptedOrigin origin;
  origin.route("/api/news", script::respond(200, {{"Cache-Control", "public, max-age=60"}}, "news"));
  CachingEtagd etagd(origin);
  etagd.get("/api/news", {{"Cookie", "session=1"}});
  CHECK(cache_status(etagd.get("/api/news", {{"Cookie", "session=2"}})) == "HIT");
}

TEST_CASE("key_cookies keys on the named cookies only, tracking cookies share the entry") {
  ScriptedOrigin origin;
  origin.route("/api/me", [](const OriginRequest& req, OriginReply& reply) {
    reply.reply(200, {{"Cache-Control", "max-age=60"}}, "seen " + req.headers.get("Cookie"));
  });
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, ttl: 60s, "
                                        "key_cookies: [sessionid] }"}});
  HttpResponse alice = etagd.get("/api/me", {{"Cookie", "_ga=1; sessionid=alice"}});
  CHECK(cache_status(alice) == "MISS");
  // Same session, other tracking cookies, the cookie header split over two lines: one entry.
  HttpResponse again = etagd.get("/api/me", {{"Cookie", "sessionid=alice"}, {"Cookie", "_ga=2"}});
  CHECK(cache_status(again) == "HIT");
  CHECK(again.body == alice.body);
  HttpResponse bob = etagd.get("/api/me", {{"Cookie", "_ga=1; sessionid=bob"}});
  CHECK(cache_status(bob) == "MISS");
  CHECK(bob.body == "seen _ga=1; sessionid=bob");
  // The cookie name is case-sensitive (RFC 6265 §4.1.1): SessionID is another cookie.
  CHECK(cache_status(etagd.get("/api/me", {{"Cookie", "SessionID=alice"}})) == "MISS");
  CHECK(origin.request_count("/api/me") == 3);
}

}  // namespace etagd::testing
