#include "proxy/decide.h"

#include <algorithm>

#include "cache/freshness.h"
#include "http/cookie.h"
#include "http/etag.h"
#include "http/http_date.h"
#include "http/token.h"
#include "proxy/partial_entry.h"
#include "proxy/representation_choice.h"

namespace etagd::proxy {

namespace {

bool keyed_on(const config::RuleActions& rule, std::string_view name) {
  for (const std::string& k : rule.key_headers) {
    if (http::iequals(k, name)) return true;
  }
  return false;
}

// A rule with key_cookies keys on the cookies that matter, so on Cookie as far as the origin's
// answer depends on it.
bool keyed_on_cookie(const config::RuleActions& rule) {
  return keyed_on(rule, "cookie") || !rule.key_cookies.empty();
}

bool has_validator(const cache::CacheEntry& entry) {
  // A content ETag etagd made itself means nothing to the upstream; only its own tag, or a
  // Last-Modified, can make a conditional request (RFC 9111 §4.3.1).
  return entry.etag_from_upstream() || entry.last_modified().has_value();
}

// The length of the leading fields of a stored field block that a 304 repeats
// (RFC 9110 §15.4.5); response_fields.h writes them first.
size_t not_modified_prefix(std::string_view block) {
  size_t pos = 0;
  while (pos < block.size()) {
    size_t eol = block.find("\r\n", pos);
    if (eol == std::string_view::npos) break;
    std::string_view name = block.substr(pos, block.find(':', pos) - pos);
    if (!(http::iequals(name, "cache-control") || http::iequals(name, "content-location") ||
          http::iequals(name, "etag") || http::iequals(name, "expires") ||
          http::iequals(name, "vary"))) {
      break;
    }
    pos = eol + 2;
  }
  return pos;
}

}  // namespace

CacheUse cache_use(const http::RequestHead& request, const config::RuleActions& rule) {
  bool safe_read = request.method == http::Method::Get || request.method == http::Method::Head;
  if (!safe_read || request.has_body()) return CacheUse::Pass;
  switch (rule.cache) {
    case config::CacheMode::Bypass: return CacheUse::Pass;
    case config::CacheMode::Validate: return CacheUse::Validate;
    case config::CacheMode::Store: return CacheUse::Store;
  }
  return CacheUse::Pass;
}

bool may_reuse_for(const http::RequestHead& request, const config::RuleActions& rule,
                   const cache::CacheEntry& entry) {
  return entry.shared_explicitly() || !credentials_unkeyed(request, rule);
}

bool credentials_unkeyed(const http::RequestHead& request, const config::RuleActions& rule) {
  if (request.headers.contains("authorization") && !keyed_on(rule, "authorization")) return true;
  return request.headers.contains("cookie") && !keyed_on_cookie(rule);
}

bool carries_credentials(const http::RequestHead& request, const config::RuleActions& rule) {
  if (request.headers.contains("authorization")) return true;
  if (!request.headers.contains("cookie")) return false;
  if (keyed_on(rule, "cookie")) return true;
  return std::any_of(rule.key_cookies.begin(), rule.key_cookies.end(), [&](const std::string& name) {
    return !http::cookie_values(request.headers, name).empty();
  });
}

Plan decide(const http::RequestHead& request, const config::RuleActions& rule,
            const Lookup* lookup, base::WallSeconds now) {
  switch (cache_use(request, rule)) {
    case CacheUse::Pass: return {Plan::Kind::Forward, ops::CacheStatus::Bypass};
    case CacheUse::Validate: return {Plan::Kind::Validate, ops::CacheStatus::Miss};
    case CacheUse::Store: break;
  }
  const cache::CacheEntry* entry = lookup ? lookup->entry : nullptr;
  bool range_miss = forwards_range(request, rule);
  if (entry == nullptr) {
    return {range_miss ? Plan::Kind::FetchRange : Plan::Kind::Fetch, ops::CacheStatus::Miss};
  }
  if (entry->part_count() > 0) {
    // RFC 9111 §3.3: partial content answers a Range request it holds, while fresh; it is
    // never revalidated (a fetch of the range is as cheap) nor served stale.
    if (!range_miss) return {Plan::Kind::Fetch, ops::CacheStatus::Miss};
    if (!lookup->forced_stale && entry->is_fresh(now) && partial_covers(request, *entry)) {
      return {Plan::Kind::ServeHit, ops::CacheStatus::Hit};
    }
    return {Plan::Kind::FetchRange, ops::CacheStatus::Miss};
  }
  if (!lookup->forced_stale) {
    if (entry->is_fresh(now) || lookup->answers_collapsed_request) {
      return {Plan::Kind::ServeHit, ops::CacheStatus::Hit};
    }
    if (entry->usable_while_revalidating(now)) {
      return {Plan::Kind::ServeStale, ops::CacheStatus::Stale};
    }
  }
  // Stale: ask the upstream whether it changed, if it can tell; otherwise fetch it again
  // (the stale entry is still kept for stale-if-error).
  if (has_validator(*entry)) return {Plan::Kind::Revalidate, ops::CacheStatus::Miss};
  return {Plan::Kind::Fetch, ops::CacheStatus::Miss};
}

HeadPlan plan_for_head(const HeadContext& context, const http::RequestHead& request,
                       const config::RuleActions& rule, const http::ResponseHead& head,
                       const http::CacheControl& upstream_cc) {
  using Action = HeadPlan::Action;
  if (context.purpose == Purpose::Forward) return {Action::Stream};
  // A background refresh only ever updates the cache; anything else is left for the next
  // client request to fetch (and see) itself.
  if (context.background && head.status != 304 && head.status != 200) return {Action::Drop};
  if (context.purpose == Purpose::Revalidate && head.status == 304) return {Action::Refreshed};
  if (head.status >= 500 && context.stale_usable_on_error) return {Action::ServeStale};

  // A 206 to a forwarded Range is stored as part of the 200 it comes from (partial_entry.h):
  // storable as that 200 would be, and only with a strong validator and a known length.
  bool part = context.purpose == Purpose::FetchRange && head.status == 206;
  if (part && !storable_part(head, context.max_object_size)) return {Action::Stream};
  int status = part ? 200 : head.status;
  bool storable = false;
  if (rule.cache == config::CacheMode::Store) {
    cache::StorabilityInput in;
    in.method = context.upstream_method;
    in.status = status;
    in.response_cc = &upstream_cc;
    in.response_headers = &head.headers;
    in.request_has_authorization = request.headers.contains("authorization");
    in.keyed_on_authorization = keyed_on(rule, "authorization");
    in.request_has_cookie = request.headers.contains("cookie");
    in.keyed_on_cookie = keyed_on_cookie(rule);
    in.rule_ttl = !rule.ttl.for_status(status).from_origin;
    in.rule_names_status = std::any_of(rule.ttl.codes.begin(), rule.ttl.codes.end(),
                                       [&](const auto& entry) { return entry.first == status; });
    in.ignore_cache_control = rule.ignore_upstream_cache_control;
    in.store_fresh_server_errors = context.no_rules;
    storable = cache::why_not_storable(in).empty();
  }
  // Buffer what will be stored, and 200s (to hash them for a content ETag), unless the body
  // is announced larger than max_object_size.
  bool wanted = storable || head.status == 200;
  bool fits = !head.content_length || *head.content_length <= context.max_object_size;
  if (!wanted || !fits) return {context.background ? Action::Drop : Action::Stream};
  if (part) return {Action::Buffer, storable, false};
  // The content hash is computed only where it becomes the ETag: the rule generates one, or
  // the upstream sent none. A preserved upstream ETag already identifies the representation
  // (RFC 9110 §8.8.3), and hashing the body for nothing is a tenth of a miss's work.
  bool content_etag = rule.etag == config::EtagPolicy::Generate || !head.headers.contains("etag");
  return {Action::Buffer, storable, head.status == 200 && content_etag};
}

bool request_is_not_modified(const http::RequestHead& request, const cache::CacheEntry& entry,
                             std::string_view etag) {
  bool has_if_none_match = false;
  for (const http::HeaderField& f : request.headers) {
    if (!http::iequals(f.name, "if-none-match")) continue;
    has_if_none_match = true;
    if (!etag.empty() && http::if_none_match_matches(f.value, etag)) return true;
  }
  if (has_if_none_match) return false;
  std::string_view ims = request.headers.get("if-modified-since");
  if (ims.empty() || !entry.last_modified()) return false;
  std::optional<int64_t> since = http::parse_http_date(ims);
  return since && *entry.last_modified() <= *since;
}

EntryAnswer answer_from_entry(const http::RequestHead& request, const cache::CacheEntry& entry,
                              ops::CacheStatus status, bool fetched_with_age,
                              base::WallSeconds now) {
  EntryAnswer a;
  // Hits do no compression work: the representation was encoded when the entry was stored.
  a.representation = choose_representation(request, entry);
  const cache::Representation& rep = a.representation;
  // RFC 9110 §8.8.3: If-None-Match is compared with the validator of the representation this
  // request would get, so a client holding the br bytes is told 304 only for br.
  a.not_modified = entry.status() == 200 && request_is_not_modified(request, entry, rep.etag);
  a.status = a.not_modified ? 304 : entry.status();
  a.fields = rep.header_block;
  if (a.not_modified) {
    a.fields = a.fields.substr(0, not_modified_prefix(a.fields));
    a.bytes_saved = rep.body.size();
  }
  a.has_body = !a.not_modified && a.status != 204 && request.method != http::Method::Head &&
               !rep.body.empty();
  // RFC 9111 §5.1: Age means the answer was not generated or validated by the origin for this
  // request. A hit, a stale answer and a coalesced waiter's answer (fetched for another
  // request) carry it; a response fetched or revalidated for this very request only when the
  // upstream's answer carried an Age of its own.
  bool from_storage = status != ops::CacheStatus::Miss && status != ops::CacheStatus::Revalidated;
  if (from_storage || fetched_with_age) a.age = entry.current_age(now).count();
  // A stored response keeps the Date its origin gave it, updated by a 304 (RFC 9111 §4.3.4);
  // one stored without Date keeps the time it was received, which etagd recorded as its Date
  // (RFC 9110 §6.6.1). Age says how long it has been stored.
  a.date = entry.freshness().date_value.time_since_epoch().count();
  return a;
}

}  // namespace etagd::proxy
