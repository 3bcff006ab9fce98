#include "proxy/exchange.h"

#include <algorithm>
#include <charconv>

#include "cache/cache_key.h"
#include "cache/cache_store.h"
#include "cache/freshness.h"
#include "http/etag.h"
#include "http/http_date.h"
#include "http/token.h"
#include "ops/upstream_failure.h"
#include "proxy/cache_variant.h"
#include "proxy/client_connection.h"
#include "proxy/invalidation.h"
#include "proxy/upstream_request.h"
#include "proxy/worker.h"

namespace etagd::proxy {

namespace {

std::string normalized_host(std::string_view host) {
  // Rules match the host without its port, case-insensitively. "[::1]:8080" -> "[::1]".
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return http::lowercase(host);
}

bool keyed_on(const config::RuleActions& a, std::string_view name) {
  return std::any_of(a.key_headers.begin(), a.key_headers.end(),
                     [&](const std::string& k) { return http::iequals(k, name); });
}

int64_t parse_age(std::string_view v) {
  int64_t age = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), age);
  return (ec == std::errc() && p == v.data() + v.size() && age >= 0) ? age : 0;
}

// The length of the leading fields of a header block that a 304 repeats; response_writer.h
// writes them first (RFC 9110 §15.4.5).
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

static_assert(config::CacheConfig::kMaxObjectSizeLimit <= cache::CacheEntry::kMaxBody,
              "every body max_object_size admits must fit in a cache entry");

// Keeps an entry (and so its body) alive while the kernel has not taken all of the body: the
// evbuffer calls this when it no longer references the bytes. An entry evicted meanwhile is
// freed here, after its last send.
void release_entry(const void*, size_t, void* holder) {
  std::unique_ptr<cache::EntryRef> owned(static_cast<cache::EntryRef*>(holder));
}

// Adds the body of `entry` to `out` by reference: a hit copies no body byte.
void add_body_reference(evbuffer* out, const cache::EntryRef& entry) {
  auto holder = std::make_unique<cache::EntryRef>(entry);
  std::string_view body = (*holder)->body();
  if (evbuffer_add_reference(out, body.data(), body.size(), &release_entry, holder.get()) == 0) {
    holder.release();  // now owned by the evbuffer, freed in release_entry
  }
}


}  // namespace

Exchange::Exchange(Worker& worker, ClientConnection* client, std::string_view client_address,
                   const http::RequestHead& request, evbuffer* body)
    : worker_(worker),
      client_(client),
      client_address_(client_address),
      request_(request),
      request_body_(body) {}

Exchange::~Exchange() {
  if (waiter_id_ != 0) worker_.unregister_waiter(waiter_id_);
  if (upstream_) {
    upstream_->detach();
    worker_.retire(std::move(upstream_));
  }
}

void Exchange::abandon() {
  abandoned_ = true;
  if (wait_timer_) wait_timer_->cancel();
  if (upstream_) {
    upstream_->detach();
    worker_.retire(std::move(upstream_));
  }
  lead_.give_up();
}

int64_t Exchange::wall_ms() const {
  timeval tv;
  event_base_gettimeofday_cached(worker_.base(), &tv);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

std::pair<int64_t, int64_t> Exchange::request_and_response_time() const {
  int64_t response_ms = wall_ms();
  int64_t response_time = response_ms / 1000;
  int64_t delay = std::max<int64_t>(0, response_ms - request_unix_ms_) / 1000;
  return {response_time - delay, response_time};
}

void Exchange::prepare() {
  start_us_ = Worker::monotonic_us();
  start_unix_ms_ = wall_ms();
  running_ = worker_.running();
  host_ = normalized_host(request_.host);
  actions_ = running_->config->rules.match(request_.method, host_, request_.path).actions;
}

void Exchange::start_refresh(cache::EntryRef stale, std::string key) {
  prepare();
  pass_status_ = ops::CacheStatus::Miss;
  url_key_ = std::string(stale->url_key());
  lead_.hold(worker_.shared().coalescer(), std::move(key));
  stale_ = std::move(stale);
  fetch(Purpose::Revalidate);
}

void Exchange::start() {
  prepare();

  bool safe_read = request_.method == http::Method::Get || request_.method == http::Method::Head;
  // A GET with content (which has no defined meaning, RFC 9110 §9.3.1) may get an answer that
  // depends on it: never cache it, never hand it to others.
  if (!safe_read || request_.has_body()) {
    pass_status_ = ops::CacheStatus::Bypass;
    fetch(Purpose::Forward);
    return;
  }
  switch (actions_->cache) {
    case config::CacheMode::Bypass:
      pass_status_ = ops::CacheStatus::Bypass;
      fetch(Purpose::Forward);
      return;
    case config::CacheMode::Validate:
      pass_status_ = ops::CacheStatus::Miss;
      fetch(Purpose::Fetch);
      return;
    case config::CacheMode::Store:
      pass_status_ = ops::CacheStatus::Miss;
      url_key_ = cache::make_url_key(request_.host, request_.target);
      serve_from_cache();
      return;
  }
}

std::string Exchange::coalescing_key() const {
  return proxy::coalescing_key(url_key_, request_, *actions_);
}

ClientFieldOptions Exchange::field_options(int status, std::string_view etag) const {
  ClientFieldOptions fo;
  fo.actions = actions_;
  fo.status_header = running_->config->cache.status_header;
  fo.status = status;
  fo.etag = etag;
  return fo;
}

cache::FreshnessPolicy Exchange::freshness_policy() const {
  cache::FreshnessPolicy policy;
  if (!actions_->ttl.from_origin) policy.ttl = actions_->ttl.value.count();
  policy.stale_if_error = actions_->stale_if_error.count();
  policy.stale_while_revalidate = actions_->stale_while_revalidate.count();
  return policy;
}

void Exchange::serve_from_cache() {
  // Fleet mode: sampled before the lookup, so that after a resubscription the lookup sees the
  // cache already marked stale (fleet/hit_gate.h).
  fleet::HitGate gate = worker_.shared().fleet_hit_gate();
  cache::LookupResult found = worker_.shared().cache().lookup(url_key_, request_.headers);
  int64_t now = worker_.now();
  if (found.entry) {
    // An entry a missed fleet invalidation may have hit is revalidated, never served as is.
    found.forced_stale = found.forced_stale || !gate.allows(*found.entry, now);
    if (!found.forced_stale && found.entry->is_fresh(now)) {
      // After waiting for another request's fetch, the entry is that fetch's: say so, since
      // the time this answer took is the wait, not a lookup.
      serve_entry(found.entry, waited_ ? ops::CacheStatus::HitCoalesced : ops::CacheStatus::Hit);
      return;
    }
    stale_ = found.entry;
    // RFC 5861 stale-while-revalidate: answer now, refresh with one background request.
    if (!found.forced_stale && stale_->usable_while_revalidating(now)) {
      worker_.refresh_in_background(stale_, request_, client_address_, coalescing_key());
      serve_entry(stale_, ops::CacheStatus::Stale);
      return;
    }
  }
  if (!coalesced_) {
    std::string key = coalescing_key();
    uint64_t id = worker_.register_waiter(this);
    Worker* w = &worker_;
    bool leader = worker_.shared().coalescer().join(key, [w, id](cache::Coalescer::WakeReason r) {
      w->post([w, id, r] { w->wake_waiter(id, r); });
    });
    if (!leader) {
      waiter_id_ = id;
      if (!waited_) worker_.metrics().record_coalesced_wait();
      waited_ = true;
      wait_for_leader();
      return;
    }
    worker_.unregister_waiter(id);
    lead_.hold(worker_.shared().coalescer(), std::move(key));
  }
  fetch(stale_ ? Purpose::Revalidate : Purpose::Fetch);
}

void Exchange::wait_for_leader() {
  wait_timer_ = std::make_unique<Timer>(worker_.base(), &Exchange::on_wait_timeout, this);
  wait_timer_->arm(running_->config->cache.coalesce_timeout);
}

void Exchange::on_wait_timeout(void* self) {
  // The leader is slow: go upstream ourselves rather than wait without bound.
  static_cast<Exchange*>(self)->on_coalescing_done(cache::Coalescer::WakeReason::Finished);
}

void Exchange::on_coalescing_done(cache::Coalescer::WakeReason reason) {
  if (abandoned_ || waiter_id_ == 0) return;
  worker_.unregister_waiter(waiter_id_);
  waiter_id_ = 0;
  wait_timer_->cancel();
  // A leader whose client left had no response for us: regroup behind a new leader (one of
  // the waiters) rather than all going upstream. Twice at most, so the wait stays bounded.
  constexpr int kMaxRegroups = 2;
  bool regroup = reason == cache::Coalescer::WakeReason::LeaderGaveUp && regroups_ < kMaxRegroups;
  regroups_ += regroup;
  coalesced_ = !regroup;
  stale_.reset();
  serve_from_cache();
}

void Exchange::fetch(Purpose purpose) {
  purpose_ = purpose;
  // An invalidation that happens while this request is upstream must win over its response.
  fetch_seq_ = cache::CacheStore::current_seq();
  UpstreamRequestOptions opts;
  // A HEAD that etagd must hash or store is fetched as GET (as nginx's proxy_cache_convert_head).
  upstream_method_ = (request_.method == http::Method::Head && purpose != Purpose::Forward)
                         ? http::Method::Get
                         : request_.method;
  opts.method = upstream_method_;
  opts.method_token = request_.method_token;
  opts.strip_conditionals = purpose != Purpose::Forward;
  if (purpose == Purpose::Revalidate) {
    if (stale_->etag_from_upstream()) opts.if_none_match = stale_->etag();
    opts.if_modified_since = stale_->last_modified();
    if (opts.if_none_match.empty() && !opts.if_modified_since) purpose_ = Purpose::Fetch;
  }
  opts.client_address = client_address_;
  opts.body_length = request_body_ ? evbuffer_get_length(request_body_) : 0;

  upstream_request_ = make_evbuffer();
  write_upstream_request_head(upstream_request_.get(), request_, running_->config->upstream, opts);
  if (opts.body_length > 0) evbuffer_add_buffer(upstream_request_.get(), request_body_);
  connect_upstream(/*fresh=*/false);
}

void Exchange::connect_upstream(bool fresh) {
  upstream_start_us_ = Worker::monotonic_us();
  request_unix_ms_ = wall_ms();
  std::string error;
  upstream_ = worker_.upstream_pool().acquire(fresh, error);
  if (!upstream_) {
    on_upstream_error(UpstreamError::ConnectFailed);
    return;
  }
  upstream_->start(upstream_request_.get(), upstream_method_ == http::Method::Head, this);
}

void Exchange::on_upstream_head(const http::ResponseHead& head) {
  if (abandoned_) return;
  upstream_head_ = &head;
  const config::Config& cfg = *running_->config;

  if (!http::is_safe(request_.method) && head.status >= 200 && head.status < 400) {
    invalidate_after_write(worker_.shared().cache(), worker_.shared().fleet(), request_, head,
                           *actions_);
  }
  if (purpose_ == Purpose::Forward) {
    begin_streaming(head, pass_status_);
    return;
  }
  if (client_ == nullptr && head.status != 304 && head.status != 200) {
    // A background refresh only ever updates the cache; anything else is left for the next
    // client request to fetch (and see) itself.
    release_upstream();
    finish(true);
    return;
  }
  if (purpose_ == Purpose::Revalidate && head.status == 304) {
    revalidated_ = true;  // no body follows; on_upstream_complete() refreshes the entry
    return;
  }
  if (head.status >= 500 && serve_stale_on_error()) return;

  upstream_cc_ = http::CacheControl{};
  for (const http::HeaderField& f : head.headers) {
    if (http::iequals(f.name, "cache-control")) http::parse_cache_control(f.value, upstream_cc_);
  }
  storable_ = false;
  if (actions_->cache == config::CacheMode::Store) {
    cache::StorabilityInput in;
    in.method = upstream_method_;
    in.status = head.status;
    in.response_cc = &upstream_cc_;
    in.response_headers = &head.headers;
    in.request_has_authorization = request_.headers.contains("authorization");
    in.keyed_on_authorization = keyed_on(*actions_, "authorization");
    in.rule_ttl = !actions_->ttl.from_origin;
    in.ignore_cache_control = actions_->ignore_upstream_cache_control;
    storable_ = cache::why_not_storable(in).empty();
  }
  // Buffer what will be stored, and 200s (to hash them for a content ETag), unless the body
  // is announced larger than max_object_size.
  bool wanted = storable_ || head.status == 200;
  bool fits = !head.content_length || *head.content_length <= cfg.cache.max_object_size;
  if (!wanted || !fits) {
    storable_ = false;
    lead_.release();  // nothing will be stored: waiters go upstream themselves
    if (client_ == nullptr) {
      finish(true);
      return;
    }
    begin_streaming(head, pass_status_);
    return;
  }
  buffering_ = true;
  body_buf_.clear();
  if (head.content_length) body_buf_.reserve(static_cast<size_t>(*head.content_length));
  if (head.status == 200) {
    if (!hasher_) hasher_ = std::make_unique<http::ContentHasher>();
    hasher_->reset();
  }
}

void Exchange::begin_streaming(const http::ResponseHead& head, ops::CacheStatus cache_status) {
  streaming_ = true;
  status_sent_ = head.status;
  cache_status_ = cache_status;
  std::string fields;
  write_client_fields(fields, head, field_options(head.status, {}));

  ClientHeadOptions o;
  o.status = head.status;
  o.version_minor = request_.version_minor;
  o.date = worker_.http_date();
  // A pass-through answer is not served from the cache: it carries the upstream's own Age, if
  // any, and etagd adds none (RFC 9111 §5.1: Age says a response came from a cache).
  if (std::string_view age = head.headers.get("age"); !age.empty()) o.age = parse_age(age);
  o.status_header = running_->config->cache.status_header;
  o.cache_status = ops::cache_status_name(cache_status);
  bool no_body = head.status == 204 || head.status == 304 || (head.status >= 100 && head.status < 200);
  if (no_body) {
    client_framing_ = BodyFraming::None;
  } else if (head.content_length) {
    client_framing_ = BodyFraming::ContentLength;
    o.content_length = *head.content_length;
  } else if (request_.method == http::Method::Head) {
    client_framing_ = BodyFraming::None;
  } else if (request_.version_minor >= 1) {
    client_framing_ = BodyFraming::Chunked;
  } else {
    client_framing_ = BodyFraming::CloseDelimited;
  }
  o.framing = client_framing_;
  o.close = client_->must_close_after_answer() || client_framing_ == BodyFraming::CloseDelimited;
  pending_head_.clear();
  append_client_head(pending_head_, fields, o);
  if (request_.method == http::Method::Head) client_framing_ = BodyFraming::None;
  // Not sent yet: the head leaves with the first body bytes of the same read
  // (on_upstream_input_drained), or with the end of the response.
}

void Exchange::commit_head() {
  if (pending_head_.empty()) return;
  evbuffer_add(client_->output(), pending_head_.data(), pending_head_.size());
  pending_head_.clear();
}

void Exchange::stream_body(const char* data, size_t len) {
  if (client_framing_ == BodyFraming::None || len == 0) return;
  commit_head();
  body_bytes_ += len;
  if (client_framing_ == BodyFraming::Chunked) {
    write_chunk(client_->output(), data, len);
  } else {
    evbuffer_add(client_->output(), data, len);
  }
  if (client_->output_pending() <= ClientConnection::kHighWatermark) return;
  if (!client_->flush()) return;  // client gone: we were abandoned
  if (client_->output_pending() > ClientConnection::kHighWatermark && upstream_) {
    upstream_->pause_reading();
    client_->wait_for_drain();
  }
}

void Exchange::on_upstream_input_drained() {
  if (abandoned_ || !streaming_ || client_ == nullptr) return;
  commit_head();
  client_->flush();
}

void Exchange::on_client_drained() {
  if (upstream_) upstream_->resume_reading();
}

void Exchange::on_upstream_body(const char* data, size_t len) {
  if (abandoned_) return;
  if (streaming_) {
    stream_body(data, len);
    return;
  }
  if (!buffering_) return;  // 304 to a revalidation, or a stale answer already sent
  if (body_buf_.size() + len > running_->config->cache.max_object_size) {
    if (client_ == nullptr) {
      lead_.release();
      finish(true);
      return;
    }
    fall_back_to_streaming();
    stream_body(data, len);
    return;
  }
  body_buf_.append(data, len);
  if (hasher_) hasher_->update(data, len);
}

void Exchange::fall_back_to_streaming() {
  // The body turned out larger than max_object_size: neither stored nor hashed.
  buffering_ = false;
  storable_ = false;
  lead_.release();
  begin_streaming(*upstream_head_, pass_status_);
  std::string buffered = std::move(body_buf_);
  stream_body(buffered.data(), buffered.size());
}

void Exchange::on_upstream_complete() {
  if (abandoned_) return;
  if (streaming_) {
    commit_head();
    if (client_framing_ == BodyFraming::Chunked) write_last_chunk(client_->output());
    bool close = client_framing_ == BodyFraming::CloseDelimited;
    release_upstream();
    record_answer();
    client_->flush();
    finish(close);
    return;
  }
  if (revalidated_) {
    finish_revalidation();
    return;
  }
  if (!buffering_) {
    // A stale answer was sent on a 5xx; nothing else to do with this response.
    release_upstream();
    return;
  }
  finish_fetch();
}

void Exchange::finish_fetch() {
  const http::ResponseHead& head = *upstream_head_;
  fetched_with_age_ = head.headers.contains("age");
  auto [request_time, now] = request_and_response_time();

  cache::ResponseToStore r;
  r.status = head.status;
  std::string_view upstream_etag = head.headers.get("etag");
  bool keep_upstream_etag = !upstream_etag.empty() && actions_->etag == config::EtagPolicy::Preserve;
  if (keep_upstream_etag) {
    r.etag = std::string(upstream_etag);
    r.etag_from_upstream = true;
  } else if (head.status == 200 && hasher_) {
    r.etag = hasher_->etag();
  }
  write_client_fields(r.header_block, head, field_options(head.status, r.etag));
  if (std::string_view lm = head.headers.get("last-modified"); !lm.empty()) {
    r.last_modified = http::parse_http_date(lm);
  }
  r.freshness =
      cache::compute_freshness(head.headers, upstream_cc_, freshness_policy(), request_time, now);
  r.variant = response_variant(request_, *actions_, head.headers);
  r.body = std::move(body_buf_);
  r.seq = fetch_seq_;
  cache::EntryRef entry = cache::CacheEntry::make(url_key_, std::move(r));
  if (storable_) worker_.shared().cache().insert(entry);
  release_upstream();
  lead_.release();  // after insert: woken waiters find the entry
  serve_entry(entry, pass_status_);
}

void Exchange::finish_revalidation() {
  // RFC 9111 §4.3.4: the 304's fields update the stored response; the body stays.
  const http::ResponseHead& head = *upstream_head_;
  fetched_with_age_ = head.headers.contains("age");
  auto [request_time, now] = request_and_response_time();
  cache::ResponseToStore r;
  r.status = stale_->status();
  r.etag = std::string(stale_->etag());
  r.etag_from_upstream = stale_->etag_from_upstream();
  if (std::string_view et = head.headers.get("etag"); !et.empty() && r.etag_from_upstream) {
    r.etag = std::string(et);
  }
  r.last_modified = stale_->last_modified();
  if (std::string_view lm = head.headers.get("last-modified"); !lm.empty()) {
    if (auto t = http::parse_http_date(lm)) r.last_modified = t;
  }
  merge_not_modified_fields(r.header_block, stale_->header_block(), head,
                            field_options(r.status, r.etag));
  // The lifetime comes from the upstream, never from the Cache-Control rewritten for clients:
  // the 304's own directives when it has any, else the stored lifetime from the start.
  if (head.headers.contains("cache-control") || head.headers.contains("expires")) {
    http::CacheControl cc;
    for (const http::HeaderField& f : head.headers) {
      if (http::iequals(f.name, "cache-control")) http::parse_cache_control(f.value, cc);
    }
    r.freshness = cache::compute_freshness(head.headers, cc, freshness_policy(), request_time, now);
  } else {
    r.freshness = stale_->freshness();
    r.freshness.request_time = request_time;
    r.freshness.response_time = now;
    std::optional<int64_t> date = http::parse_http_date(head.headers.get("date"));
    r.freshness.date_value = date ? *date : now;
    r.freshness.age_value = parse_age(head.headers.get("age"));
  }
  r.seq = fetch_seq_;
  cache::EntryRef fresh = cache::CacheEntry::refreshed(*stale_, std::move(r));
  worker_.shared().cache().replace(stale_, fresh);
  release_upstream();
  lead_.release();
  serve_entry(fresh, ops::CacheStatus::Revalidated);
}

bool Exchange::request_is_not_modified(const cache::CacheEntry& entry) const {
  // RFC 9110 §13.1.2/§13.1.3: If-None-Match wins; If-Modified-Since only without it.
  bool has_if_none_match = false;
  for (const http::HeaderField& f : request_.headers) {
    if (!http::iequals(f.name, "if-none-match")) continue;
    has_if_none_match = true;
    if (!entry.etag().empty() && http::if_none_match_matches(f.value, entry.etag())) return true;
  }
  if (has_if_none_match) return false;
  std::string_view ims = request_.headers.get("if-modified-since");
  if (ims.empty() || !entry.last_modified()) return false;
  std::optional<int64_t> since = http::parse_http_date(ims);
  return since && *entry.last_modified() <= *since;
}

void Exchange::serve_entry(const cache::EntryRef& entry, ops::CacheStatus cache_status) {
  cache_status_ = cache_status;
  if (client_ == nullptr) {
    finish(false);
    return;
  }
  bool not_modified = entry->status() == 200 && request_is_not_modified(*entry);
  std::string_view block = entry->header_block();
  ClientHeadOptions o;
  o.status = not_modified ? 304 : entry->status();
  o.version_minor = request_.version_minor;
  o.date = worker_.http_date();
  // RFC 9111 §5.1: Age means the answer was not generated or validated by the origin for this
  // request. A hit, a stale answer and a coalesced waiter's answer (fetched for another
  // request) carry it; a response fetched or revalidated for this very request only when
  // the upstream's answer carried an Age of its own.
  bool from_storage = cache_status != ops::CacheStatus::Miss &&
                      cache_status != ops::CacheStatus::Revalidated;
  if (from_storage || fetched_with_age_) o.age = entry->current_age(worker_.now());
  o.status_header = running_->config->cache.status_header;
  o.cache_status = ops::cache_status_name(cache_status);
  o.close = client_->must_close_after_answer();
  std::string_view body = entry->body();
  status_sent_ = o.status;
  local_304_ = not_modified;  // etagd made this 304 (the upstream sent the full body, or nothing)
  if (not_modified) bytes_saved_ = body.size();
  if (not_modified || o.status == 204) {
    o.framing = BodyFraming::None;
    if (not_modified) block = block.substr(0, not_modified_prefix(block));
  } else {
    o.framing = BodyFraming::ContentLength;
    o.content_length = body.size();
  }
  write_client_head(client_->output(), block, o);
  if (o.framing == BodyFraming::ContentLength && request_.method != http::Method::Head &&
      !body.empty()) {
    add_body_reference(client_->output(), entry);
    body_bytes_ = body.size();
  }
  record_answer();
  if (!client_->flush()) return;
  finish(false);
}

bool Exchange::serve_stale_on_error() {
  if (!stale_ || !stale_->usable_on_error(worker_.now())) return false;
  buffering_ = false;
  if (upstream_) {
    upstream_->detach();
    worker_.retire(std::move(upstream_));
  }
  lead_.release();
  serve_entry(stale_, ops::CacheStatus::Stale);
  return true;
}

void Exchange::on_upstream_error(UpstreamError error) {
  if (abandoned_) return;
  worker_.metrics().record_upstream_error(ops::kUpstreamErrorKinds[static_cast<size_t>(error)]);
  bool reused = upstream_ && upstream_->reused();
  if (upstream_) {
    upstream_->detach();
    worker_.retire(std::move(upstream_));
  }
  // A pooled connection the upstream closed before answering: the request never reached the
  // application (RFC 9110 §9.2.2 allows retrying idempotent requests), so try once more.
  bool before_response = error == UpstreamError::ClosedBeforeResponse ||
                         (error == UpstreamError::SendFailed && upstream_head_ == nullptr);
  if (before_response && reused && !retried_ && http::is_idempotent(upstream_method_) &&
      !streaming_) {
    retried_ = true;
    connect_upstream(/*fresh=*/true);
    return;
  }
  ops::report_upstream_failure({static_cast<size_t>(error), upstream_error_text(error),
                                &running_->config->upstream, request_.method_token,
                                request_.target, client_ ? client_address_ : std::string_view(),
                                body_bytes_, streaming_ && pending_head_.empty()});
  if (streaming_ && pending_head_.empty()) {
    // The head is out: the only honest signal left is to cut the connection. What was
    // received goes out first, so the client sees a message that ends early (RFC 9112 §8) and
    // not an empty reply; without the last chunk or the announced length it knows the body is
    // incomplete. The access log still shows the answer, with the bytes that were sent.
    truncated_ = true;
    record_answer();
    client_->abort_answer(client_framing_ == BodyFraming::CloseDelimited);
    return;
  }
  if (streaming_) {
    // Nothing of the answer left yet: replace it with an honest error.
    pending_head_.clear();
    streaming_ = false;
  }
  if (serve_stale_on_error()) return;
  lead_.release();
  bool timeout = error == UpstreamError::ConnectTimeout || error == UpstreamError::ReadTimeout;
  respond_error(timeout ? 504 : 502, upstream_error_text(error));
}

void Exchange::respond_error(int status, std::string_view reason) {
  status_sent_ = status;
  cache_status_ = pass_status_;
  if (client_ == nullptr) {
    finish(true);
    return;
  }
  // A proxied request's error still says how it was served (the cache-status field), but has
  // no Age: etagd made it now.
  ClientHeadOptions head;
  head.status = status;
  head.version_minor = request_.version_minor;
  head.date = worker_.http_date();
  head.status_header = running_->config->cache.status_header;
  head.cache_status = ops::cache_status_name(pass_status_);
  head.close = client_->must_close_after_answer();
  body_bytes_ =
      write_error_response(client_->output(), reason, head, request_.method == http::Method::Head);
  record_answer();
  if (!client_->flush()) return;
  finish(false);
}

void Exchange::release_upstream() {
  if (!upstream_) return;
  upstream_us_ = Worker::monotonic_us() - upstream_start_us_;
  worker_.metrics().record_upstream_request(upstream_us_);
  worker_.upstream_pool().release(std::move(upstream_));
}

// Counted when the whole answer is in the output buffer, before it is flushed: whoever reads
// the metrics after receiving the answer sees it counted.
void Exchange::record_answer() {
  if (client_ == nullptr || recorded_) return;
  recorded_ = true;
  ops::ExchangeRecord r;
  r.start_unix_ms = start_unix_ms_;
  r.client = client_address_;
  r.method = request_.method;
  r.method_token = request_.method_token;
  r.target = request_.target;
  r.version_minor = request_.version_minor;
  r.host = request_.host;
  r.status = status_sent_;
  r.body_bytes = body_bytes_;
  r.cache_status = cache_status_;
  r.local_304 = local_304_;
  r.bytes_saved = bytes_saved_;
  r.upstream_us = upstream_us_;
  r.truncated = truncated_;
  r.total_us = Worker::monotonic_us() - start_us_;
  worker_.metrics().record_exchange(r);
  if (ops::AccessLog* log = running_->access_log.get()) {
    r.referer = request_.headers.get("referer");
    r.user_agent = request_.headers.get("user-agent");
    log->write(r);
  }
}

void Exchange::finish(bool close_connection) {
  if (done_) return;
  done_ = true;
  // Both retire this exchange: nothing may follow.
  if (client_ == nullptr) {
    worker_.end_background_refresh(this);
  } else {
    client_->answer_complete(close_connection);
  }
}

}  // namespace etagd::proxy
