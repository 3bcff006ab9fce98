// Fields a shared cache must not hand to another client: those a qualified no-cache or
// private names (RFC 9111 §5.2.2.4, §5.2.2.7), and a Set-Cookie that arrives on a 304. The
// response is stored without them; only the client it was fetched for gets them.
#include <doctest/doctest.h>

#include "cache_harness.h"
#include "support/origin_scripts.h"

namespace etagd::testing {

TEST_CASE("RFC 9111 5.2.2.7: private=\"Set-Cookie\" stores the response without its cookie") {
  ScriptedOrigin origin;
  origin.route("/page", script::respond(200,
                                        {{"Cache-Control", "max-age=60, private=\"Set-Cookie\""},
                                         {"Set-Cookie", "visitor=42"}},
                                        "page"));
  CachingEtagd etagd(origin);

  HttpResponse first = etagd.get("/page");
  CHECK(first.headers.get("Set-Cookie") == "visitor=42");
  HttpResponse second = etagd.get("/page");
  CHECK(cache_status(second) == "HIT");
  CHECK(second.body == "page");
  CHECK_FALSE(second.headers.contains("Set-Cookie"));
  CHECK(origin.request_count("/page") == 1);
}

TEST_CASE("RFC 9111 5.2.2.4: no-cache=\"X-Request-Id\" keeps the response fresh, without the field") {
  ScriptedOrigin origin;
  origin.route("/doc", script::respond(200,
                                       {{"Cache-Control", "max-age=60, no-cache=\"X-Request-Id\""},
                                        {"X-Request-Id", "r-1"},
                                        {"X-Kept", "yes"}},
                                       "doc"));
  CachingEtagd etagd(origin);

  CHECK(etagd.get("/doc").headers.get("X-Request-Id") == "r-1");
  HttpResponse again = etagd.get("/doc");
  CHECK(cache_status(again) == "HIT");
  CHECK_FALSE(again.headers.contains("X-Request-Id"));
  CHECK(again.headers.get("X-Kept") == "yes");
  CHECK(origin.request_count("/doc") == 1);
}

TEST_CASE("a Set-Cookie on a 304 reaches the client that revalidated, never the stored response") {
  // max-age=0 with an ETag: stored, and revalidated on every use.
  OriginResource doc(200, {{"ETag", "\"v1\""}, {"Cache-Control", "max-age=0"}}, "document");
  doc.set_not_modified_fields({{"ETag", "\"v1\""}, {"Set-Cookie", "session=refreshed"}});
  ScriptedOrigin origin;
  origin.route("/doc", doc.handler());
  CachingEtagd etagd(origin);

  etagd.get("/doc");
  HttpResponse refreshed = etagd.get("/doc");
  CHECK(cache_status(refreshed) == "REVALIDATED");
  CHECK(refreshed.headers.get("Set-Cookie") == "session=refreshed");
  // The next revalidation's 304 carries no cookie: what is stored must not have one either.
  doc.set_not_modified_fields({{"ETag", "\"v1\""}});
  HttpResponse next = etagd.get("/doc");
  CHECK(cache_status(next) == "REVALIDATED");
  CHECK_FALSE(next.headers.contains("Set-Cookie"));
  CHECK(next.body == "document");
}

TEST_CASE("RFC 9111 5.2.2.4: the answer that carries the Set-Cookie kept from the stored response "
          "keeps the upstream's Cache-Control, while hits get the rule's") {
  // A CDN after etagd storing the first answer under the rule's public max-age would replay
  // this visitor's cookie to everybody; the upstream's no-cache="Set-Cookie" tells it not to.
  ScriptedOrigin origin;
  origin.route("/page/*", script::respond(200,
                                          {{"Cache-Control", "no-cache=\"Set-Cookie\", max-age=60"},
                                           {"Set-Cookie", "visitor=42"}},
                                          "page"));
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: /page/private/ }, "
                                        "cache_control: \"private, max-age=600\" }",
                                        "{ match: { prefix: /page/ }, "
                                        "cache_control: \"public, max-age=600\" }"}});

  HttpResponse first = etagd.get("/page/a");
  CHECK(cache_status(first) == "MISS");
  CHECK(first.headers.get("Set-Cookie") == "visitor=42");
  CHECK(first.headers.all("Cache-Control") ==
        std::vector<std::string>{"no-cache=\"Set-Cookie\", max-age=60"});
  HttpResponse hit = etagd.get("/page/a");
  CHECK(cache_status(hit) == "HIT");
  CHECK_FALSE(hit.headers.contains("Set-Cookie"));
  CHECK(hit.headers.all("Cache-Control") == std::vector<std::string>{"public, max-age=600"});
  CHECK(origin.request_count("/page/a") == 1);
  // A rule's value that keeps it private restricts as much, and applies.
  HttpResponse own = etagd.get("/page/private/a");
  CHECK(own.headers.get("Set-Cookie") == "visitor=42");
  CHECK(own.headers.all("Cache-Control") == std::vector<std::string>{"private, max-age=600"});
}

TEST_CASE("a revalidation whose 304 sets a cookie answers with the 304's Cache-Control, not the rule's") {
  OriginResource doc(200, {{"ETag", "\"v1\""}, {"Cache-Control", "max-age=0"}}, "document");
  doc.set_not_modified_fields(
      {{"ETag", "\"v1\""}, {"Cache-Control", "max-age=0"}, {"Set-Cookie", "session=refreshed"}});
  ScriptedOrigin origin;
  origin.route("/doc", doc.handler());
  CachingEtagd etagd(origin, {.rules = {"{ match: { prefix: / }, cache_control: \"public, max-age=600\" }"}});

  CHECK(etagd.get("/doc").headers.get("Cache-Control") == "public, max-age=600");
  HttpResponse refreshed = etagd.get("/doc");
  CHECK(cache_status(refreshed) == "REVALIDATED");
  CHECK(refreshed.headers.get("Set-Cookie") == "session=refreshed");
  CHECK(refreshed.headers.all("Cache-Control") == std::vector<std::string>{"max-age=0"});
  doc.set_not_modified_fields({{"ETag", "\"v1\""}, {"Cache-Control", "max-age=0"}});
  HttpResponse next = etagd.get("/doc");
  CHECK(cache_status(next) == "REVALIDATED");
  CHECK(next.headers.all("Cache-Control") == std::vector<std::string>{"public, max-age=600"});
}

}  // namespace etagd::testing
