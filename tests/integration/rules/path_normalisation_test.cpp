// Rules, the cache and the origin see a request's normalised path (dot segments removed,
// slashes merged, as nginx does before location matching), so a spelling of one resource
// cannot borrow another resource's rule; a path climbing above the root is refused.
#include <doctest/doctest.h>

#include <string>

#include "support/http_client.h"
#include "support/proxy_harness.h"
#include "support/scripted_origin.h"

using namespace etagd::testing;

namespace {

ProxySettings live_and_api_rules() {
  ProxySettings s;
  s.extra = R"(rules:
  - name: live
    match: { prefix: /live/ }
    cache: bypass
    cache_control: "no-store"
  - name: api
    match: { methods: [GET, HEAD], prefix: /api/ }
    cache: store
    ttl: 60s
    cache_control: "max-age=60"
)";
  return s;
}

}  // namespace

TEST_CASE("a dot segment cannot move a request from the /api/ rule to the /live/ rule") {
  ScriptedOrigin origin;
  Proxy proxy(origin, live_and_api_rules());
  for (const char* target : {"/live/../api/x", "/live/%2e%2e/api/x", "/live/./../api/x"}) {
    CAPTURE(target);
    origin.clear_requests();
    HttpResponse r = proxy.client().get(target);
    CHECK(r.status == 200);
    CHECK(r.headers.get("Cache-Control") == "max-age=60");  // the /api/ rule's, not "no-store"
    REQUIRE(origin.request_count() <= 1);
    if (origin.request_count() == 1) CHECK(origin.requests()[0].target == "/api/x");
  }
  // All three spellings are /api/x: the first one fetched it, the others were hits.
  CHECK(proxy.client().get("/api/x").headers.get("X-Cache") == "HIT");
}

TEST_CASE("the origin receives the normalised path and the query as sent") {
  ScriptedOrigin origin;
  Proxy proxy(origin, live_and_api_rules());
  HttpResponse r = proxy.client().get("/live/a/..//b/./c?x=/../y&z=%2e%2e");
  CHECK(r.status == 200);
  REQUIRE(origin.request_count() == 1);
  CHECK(origin.requests()[0].target == "/live/b/c?x=/../y&z=%2e%2e");
  CHECK(r.headers.get("Cache-Control") == "no-store");
}

TEST_CASE("doubled slashes match the /api/ rule and share its cache entry") {
  ScriptedOrigin origin;
  Proxy proxy(origin, live_and_api_rules());
  HttpResponse first = proxy.client().get("//api/x");
  CHECK(first.status == 200);
  CHECK(first.headers.get("X-Cache") == "MISS");
  CHECK(first.headers.get("Cache-Control") == "max-age=60");
  HttpResponse second = proxy.client().get("/api/x");
  CHECK(second.headers.get("X-Cache") == "HIT");
  CHECK(second.headers.get("ETag") == first.headers.get("ETag"));
  CHECK(proxy.client().get("/api//x").headers.get("X-Cache") == "HIT");
  REQUIRE(origin.request_count() == 1);
  CHECK(origin.requests()[0].target == "/api/x");
}

TEST_CASE("a write to a spelling of a stored URL invalidates the stored entry") {
  ScriptedOrigin origin;
  Proxy proxy(origin, live_and_api_rules());
  CHECK(proxy.client().get("/api/x").headers.get("X-Cache") == "MISS");
  CHECK(proxy.client().get("/api/x").headers.get("X-Cache") == "HIT");
  CHECK(proxy.client().request("PUT", "/api/y/..//x", {}, "{}").status == 200);
  CHECK(proxy.client().get("/api/x").headers.get("X-Cache") == "MISS");
  CHECK(origin.requests()[2].target == "/api/x");  // the PUT
}

TEST_CASE("a path whose dot segments climb above the root is refused 400 and reaches nobody") {
  ScriptedOrigin origin;
  Proxy proxy(origin, live_and_api_rules());
  for (const char* target : {"/../etc", "/..", "/api/../../etc/passwd", "/%2e%2e/etc"}) {
    CAPTURE(target);
    HttpResponse r = proxy.client().get(target);
    CHECK(r.status == 400);
    CHECK(r.body.find("path climbs above the root") != std::string::npos);
  }
  CHECK(origin.request_count() == 0);
  CHECK(proxy.client().get("/api/x").status == 200);
}
