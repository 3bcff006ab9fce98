// plan_for_head(): what an upstream response head turns into: streamed through, buffered to be
// hashed (and stored when a shared cache may, RFC 9111 §3), taken as a refresh, or replaced
// by a stale entry.
#include "proxy/decide.h"

#include <doctest/doctest.h>

#include "http/cache_control.h"
#include "parsed_message.h"

using etagd::config::CacheMode;
using etagd::config::EtagPolicy;
using etagd::config::RuleActions;
using etagd::http::CacheControl;
using etagd::proxy::HeadContext;
using etagd::proxy::HeadPlan;
using etagd::proxy::Purpose;
using etagd::proxy::plan_for_head;
using etagd::proxy::testing::ParsedRequest;
using etagd::proxy::testing::ParsedResponse;

namespace {

using Action = HeadPlan::Action;

HeadPlan plan(const HeadContext& ctx, const char* response, CacheMode mode = CacheMode::Store,
              const char* request = "GET /doc HTTP/1.1\r\nHost: a\r\n",
              EtagPolicy etag = EtagPolicy::Preserve) {
  ParsedRequest req(request);
  ParsedResponse resp(response);
  RuleActions rule;
  rule.cache = mode;
  rule.etag = etag;
  CacheControl cc;
  for (const auto& f : resp.head().headers) {
    if (f.name == "Cache-Control") etagd::http::parse_cache_control(f.value, cc);
  }
  return plan_for_head(ctx, req, rule, resp, cc);
}

HeadContext fetch() {
  HeadContext c;
  c.purpose = Purpose::Fetch;
  c.max_object_size = 1 << 20;
  return c;
}

}  // namespace

TEST_CASE("a forwarded answer streams whatever it is") {
  HeadContext forward;
  forward.purpose = Purpose::Forward;
  CHECK(plan(forward, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 1\r\n")
            .action == Action::Stream);
  CHECK(plan(forward, "HTTP/1.1 500 Oops\r\nContent-Length: 1\r\n").action == Action::Stream);
}

TEST_CASE("a storable 200 is buffered, hashed and stored") {
  HeadPlan p = plan(fetch(), "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n");
  CHECK(p.action == Action::Buffer);
  CHECK(p.store);
  CHECK(p.hash);
}

TEST_CASE("an unstorable 200 is still buffered to hash it for a content ETag") {
  HeadPlan p = plan(fetch(), "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: 5\r\n");
  CHECK(p.action == Action::Buffer);
  CHECK_FALSE(p.store);
  CHECK(p.hash);
  // validate mode stores nothing, ever.
  HeadPlan v = plan(fetch(), "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n",
                    CacheMode::Validate);
  CHECK(v.action == Action::Buffer);
  CHECK_FALSE(v.store);
}

TEST_CASE("a 200 whose upstream ETag is preserved is buffered but not hashed") {
  const char* tagged = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nETag: \"v1\"\r\n"
                       "Content-Length: 5\r\n";
  HeadPlan preserved = plan(fetch(), tagged);
  CHECK(preserved.action == Action::Buffer);
  CHECK(preserved.store);
  CHECK_FALSE(preserved.hash);
  HeadPlan validated = plan(fetch(), tagged, CacheMode::Validate);
  CHECK(validated.action == Action::Buffer);
  CHECK_FALSE(validated.hash);
  // etag: generate replaces the upstream's tag with the content hash.
  CHECK(plan(fetch(), tagged, CacheMode::Store, "GET /doc HTTP/1.1\r\nHost: a\r\n",
             EtagPolicy::Generate).hash);
}

TEST_CASE("a stored 404 is buffered but not hashed, an unstorable one streams") {
  HeadPlan stored = plan(fetch(), "HTTP/1.1 404 Not Found\r\nCache-Control: max-age=60\r\n"
                                  "Content-Length: 3\r\n");
  CHECK(stored.action == Action::Buffer);
  CHECK(stored.store);
  CHECK_FALSE(stored.hash);
  CHECK(plan(fetch(), "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n").action == Action::Stream);
}

TEST_CASE("a body announced larger than max_object_size streams, uncached") {
  HeadContext small = fetch();
  small.max_object_size = 4;
  CHECK(plan(small, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n").action ==
        Action::Stream);
  CHECK(plan(small, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 4\r\n").action ==
        Action::Buffer);
}

TEST_CASE("a 304 to a revalidation refreshes the stored entry") {
  HeadContext revalidate = fetch();
  revalidate.purpose = Purpose::Revalidate;
  CHECK(plan(revalidate, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n").action == Action::Refreshed);
  // A full answer to a revalidation replaces the entry like any fetch.
  CHECK(plan(revalidate, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n")
            .action == Action::Buffer);
}

TEST_CASE("a 5xx gives way to a stale entry only when stale-if-error allows it (RFC 5861)") {
  HeadContext with_stale = fetch();
  with_stale.stale_usable_on_error = true;
  CHECK(plan(with_stale, "HTTP/1.1 503 Unavailable\r\nContent-Length: 1\r\n").action ==
        Action::ServeStale);
  CHECK(plan(fetch(), "HTTP/1.1 503 Unavailable\r\nContent-Length: 1\r\n").action == Action::Stream);
  CHECK(plan(with_stale, "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n").action != Action::ServeStale);
}

TEST_CASE("a background refresh keeps only a 200 or a 304, everything else is dropped") {
  HeadContext background = fetch();
  background.purpose = Purpose::Revalidate;
  background.background = true;
  CHECK(plan(background, "HTTP/1.1 304 Not Modified\r\n").action == Action::Refreshed);
  CHECK(plan(background, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n")
            .action == Action::Buffer);
  CHECK(plan(background, "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n").action == Action::Drop);
  CHECK(plan(background, "HTTP/1.1 500 Oops\r\nContent-Length: 1\r\n").action == Action::Drop);
  HeadContext small = background;
  small.max_object_size = 2;
  CHECK(plan(small, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n").action ==
        Action::Drop);
}

TEST_CASE("a response to a request with Authorization is stored only if it says it may be") {
  const char* with_auth = "GET /doc HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\n";
  CHECK_FALSE(plan(fetch(), "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 1\r\n",
                   CacheMode::Store, with_auth)
                  .store);
  CHECK(plan(fetch(), "HTTP/1.1 200 OK\r\nCache-Control: public, max-age=60\r\nContent-Length: 1\r\n",
             CacheMode::Store, with_auth)
            .store);
}
