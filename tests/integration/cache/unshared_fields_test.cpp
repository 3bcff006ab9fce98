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

}  // namespace etagd::testing
