// The decisions an exchange takes, as pure functions of what is known when each is taken:
//
//   decide()              request + rule (+ the cache lookup) + now -> what to do: forward,
//                         validate, serve a hit, serve stale and refresh, fetch, revalidate
//   plan_for_head()       the upstream's response head -> stream it, buffer it (to hash and
//                         maybe store), serve the stale entry instead, take a 304 as a refresh
//   answer_from_entry()   a stored entry -> the answer's status (200, 304...), fields, Age
//
// No event loop and no I/O: exchange.h carries the plans out, and tests/unit/proxy checks the
// decisions over tables of cases.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/clock.h"
#include "cache/cache_entry.h"
#include "config/rule.h"
#include "http/cache_control.h"
#include "http/message_head.h"
#include "ops/exchange_record.h"

namespace etagd::proxy {

// --- Before the upstream: what to do with a request -------------------------------------

enum class CacheUse {
  Pass,      // streamed through: bypass rules, unsafe methods, a GET with content
  Validate,  // fetched and hashed for local 304s, never stored
  Store,     // the shared cache: look it up first
};

// Whether (and how) the request uses the cache. A GET with content (no defined meaning,
// RFC 9110 §9.3.1) may get an answer that depends on it: it is never cached nor shared.
CacheUse cache_use(const http::RequestHead& request, const config::RuleActions& rule);

// Whether a stored entry found under the request's key may answer it. A request with
// Authorization, or with Cookie, may get a different answer from the origin than the
// request the entry was stored for (Varnish passes both by default). So an entry answers
// it only when the rule keys on that field (Authorization in key_headers; Cookie in
// key_headers or key_cookies: the entry is then the one stored for the same credential),
// or when the stored response said shared caches may reuse it for requests with
// credentials (public, s-maxage or must-revalidate; RFC 9111 §3.5 accepts the same
// directives on the storing side, cache/freshness.h).
bool may_reuse_for(const http::RequestHead& request, const config::RuleActions& rule,
                   const cache::CacheEntry& entry);

// Whether the request carries Authorization or Cookie that the rule's key leaves out: it may
// get another answer than anyone else who asks for the key, so it neither waits for another
// request's fetch of the key nor has others wait for its own (a stored entry it could use
// must have said so, which is not known before the answer arrives).
bool credentials_unkeyed(const http::RequestHead& request, const config::RuleActions& rule);

// Whether the request carries credentials that make the answer one user's: Authorization, or
// a cookie the rule keys on (Cookie in key_headers, or a cookie key_cookies names). The copy
// etagd keeps of such an answer is that user's alone, so its clients are told to keep it to
// themselves too (response_fields.h), unless the origin made it shareable.
bool carries_credentials(const http::RequestHead& request, const config::RuleActions& rule);

// What the cache holds for a request (CacheUse::Store).
struct Lookup {
  const cache::CacheEntry* entry = nullptr;  // null on a miss
  // The entry must be revalidated before use whatever its freshness: stored before the cache
  // was marked stale, or a fleet invalidation may have been missed (fleet/hit_gate.h).
  bool forced_stale = false;
  // The entry arrived while this request waited for another's fetch of its key: it is the
  // origin's answer to the collapsed requests, used even when RFC 9111 §4.2.3 counts it stale
  // on arrival (a slow origin and a short max-age), as the leader's own client is answered
  // with it. RFC 9111 §4 mentions collapsed requests only in passing; the HTTP WG chairs'
  // reading, which Squid follows, is that such a response answers those requests rather
  // than being a cache hit to check again. forced_stale still wins.
  bool answers_collapsed_request = false;
};

struct Plan {
  enum class Kind {
    Forward,     // stream the upstream's answer through
    Validate,    // fetch it, hash a 200, answer 304 when If-None-Match matches
    ServeHit,    // answer from the stored entry
    ServeStale,  // answer from the stale entry now, refresh it in the background (RFC 5861)
    Fetch,       // miss: one upstream fetch per key (coalesced), store, answer
    Revalidate,  // stale: one conditional request per key (coalesced), RFC 9111 §4.3.1
    // A Range miss under `range: forward` (partial_entry.h): the client's Range goes to the
    // origin, and a storable 206 is combined with the partial entry found, if any. Not
    // coalesced: requests for other ranges want other answers.
    FetchRange,
  };
  Kind kind = Kind::Forward;
  ops::CacheStatus status = ops::CacheStatus::Bypass;  // how the answer will be labelled
};

// `lookup` must be non-null exactly when cache_use() is Store. A partial entry (status 206)
// is served only to a Range request it covers; for any other request it is a miss.
Plan decide(const http::RequestHead& request, const config::RuleActions& rule,
            const Lookup* lookup, base::WallSeconds now);

// --- At the upstream's response head ---------------------------------------------------

enum class Purpose {
  Forward,     // pass the answer through
  Fetch,       // a full response to hash (validate) and maybe store (store)
  Revalidate,  // a conditional request for a stale stored entry
  FetchRange,  // the client's Range, for partial content to store (Plan::Kind::FetchRange)
};

struct HeadContext {
  Purpose purpose = Purpose::Forward;
  bool background = false;            // a refresh nobody waits for: only the cache matters
  http::Method upstream_method = http::Method::Get;  // HEAD misses are fetched as GET
  bool stale_usable_on_error = false;  // a stale entry may stand in for a 5xx (stale-if-error)
  uint64_t max_object_size = 0;        // larger bodies are streamed, never buffered
  bool no_rules = false;               // the config has no rules: the plain RFC 9111 cache
};

struct HeadPlan {
  enum class Action {
    Stream,      // pass the body through as it arrives
    Buffer,      // collect the body: hash it when `hash`, store it when `store`
    ServeStale,  // answer with the stale entry instead of this error
    Refreshed,   // a 304 to our revalidation: the stored entry's fields are updated
    Drop,        // a background refresh has no use for this answer
  };
  Action action = Action::Stream;
  bool store = false;
  bool hash = false;  // a 200 gets a content ETag
};

// `upstream_cc` is the response's parsed Cache-Control.
HeadPlan plan_for_head(const HeadContext& context, const http::RequestHead& request,
                       const config::RuleActions& rule, const http::ResponseHead& head,
                       const http::CacheControl& upstream_cc);

// --- Answering from a stored entry ------------------------------------------------------

struct EntryAnswer {
  int status = 200;            // the entry's status, or 304
  bool not_modified = false;   // a 304 etagd answers itself (RFC 9110 §15.4.5)
  std::string_view fields;     // the entry's field block, or the part of it a 304 repeats
  bool has_body = false;       // the entry's body follows (not for HEAD, 204, 304)
  int64_t age = -1;            // Age to send in seconds, -1 for none (RFC 9111 §5.1)
  int64_t date = 0;            // Date to send, seconds since the epoch: the stored one
                               // (RFC 9110 §6.6.1)
  uint64_t bytes_saved = 0;    // body bytes a 304 did not send
  // The representation answered with (representation_choice.h): its fields, ETag and body.
  cache::Representation representation;
};

// `fetched_with_age`: the entry was fetched or revalidated for this request and the upstream's
// answer carried an Age of its own.
EntryAnswer answer_from_entry(const http::RequestHead& request, const cache::CacheEntry& entry,
                              ops::CacheStatus status, bool fetched_with_age,
                              base::WallSeconds now);

// RFC 9110 §13.1.2/§13.1.3: the request's If-None-Match matches `etag` (the ETag of the
// representation it would get), or without If-None-Match its If-Modified-Since is not older
// than the entry's Last-Modified.
bool request_is_not_modified(const http::RequestHead& request, const cache::CacheEntry& entry,
                             std::string_view etag);

}  // namespace etagd::proxy
