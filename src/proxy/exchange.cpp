#include "proxy/exchange.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include <spdlog/spdlog.h>

#include "base/invariant.h"
#include "cache/cache_key.h"
#include "cache/cache_store.h"
#include "cache/freshness.h"
#include "config/size_and_duration.h"
#include "http/accept_encoding.h"
#include "http/encoder.h"
#include "http/field_writer.h"
#include "http/hop_by_hop.h"
#include "http/http_date.h"
#include "http/query_normalisation.h"
#include "http/targeted_cache_control.h"
#include "http/token.h"
#include "ops/upstream_failure.h"
#include "proxy/cache_variant.h"
#include "proxy/error_answer.h"
#include "proxy/invalidation.h"
#include "proxy/partial_entry.h"
#include "proxy/range_answer.h"
#include "proxy/representation_choice.h"
#include "proxy/representation_encoding.h"
#include "proxy/stored_url_key.h"
#include "proxy/response_fields.h"
#include "proxy/server_health.h"
#include "proxy/upstream_request.h"
#include "proxy/worker.h"

namespace etagd::proxy {

namespace {

int64_t parse_age(std::string_view v) {
  int64_t age = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), age);
  return (ec == std::errc() && p == v.data() + v.size() && age >= 0) ? age : 0;
}

// RFC 9213 §2.2: the first field of the target list that the response carries with a valid,
// non-empty value is the cache's policy, in place of Cache-Control and Expires; without one,
// Cache-Control decides. Several lines of a field are one Dictionary (RFC 8941 §4.2).
http::CacheControl parse_cache_control(const http::HeaderList& headers,
                                       const std::vector<std::string>& targeted) {
  http::CacheControl cc;
  for (const std::string& name : targeted) {
    size_t lines = headers.count(name);
    if (lines == 0) continue;
    if (lines == 1) {
      if (http::parse_targeted_cache_control(headers.get(name), cc)) return cc;
      continue;
    }
    std::string joined;
    for (const http::HeaderField& f : headers) {
      if (!http::iequals(f.name, name)) continue;
      if (!joined.empty()) joined += ", ";
      joined += f.value;
    }
    if (http::parse_targeted_cache_control(joined, cc)) return cc;
  }
  for (const http::HeaderField& f : headers) {
    if (http::iequals(f.name, "cache-control")) http::parse_cache_control(f.value, cc);
  }
  return cc;
}

// 1xx, 204 and 304 never have content, whatever the request method (RFC 9110 §6.4.1).
bool status_has_no_content(int status) {
  return status == 204 || status == 304 || (status >= 100 && status < 200);
}

static_assert(config::CacheConfig::kMaxObjectSizeLimit <= cache::CacheEntry::kMaxBody,
              "every body max_object_size admits must fit in a cache entry");

}  // namespace

Exchange::Exchange(Worker& worker, Downstream& downstream, const http::RequestHead& request,
                   evbuffer* body)
    : worker_(worker), downstream_(downstream), request_(request), request_body_(body) {
  record_.client = downstream.client().client;
  record_.method = request.method;
  record_.method_token = request.method_token;
  record_.target = request.raw_target;
  record_.protocol = downstream.protocol();
  record_.host = request.host;
}

Exchange::~Exchange() {
  if (queued_) worker_.shared().upstream_slots().withdraw({&worker_, waiter_id_});
  if (waiter_id_ != 0) worker_.unregister_waiter(waiter_id_);
  drop_upstream();
}

bool Exchange::allowed(Phase from, Phase to) {
  if (to == Phase::Abandoned) return from != Phase::Abandoned;
  switch (from) {
    case Phase::Deciding:
      return to == Phase::WaitingForLeader || to == Phase::WaitingForUpstream ||
             to == Phase::AwaitingHead || to == Phase::Done;
    case Phase::WaitingForLeader:
      return to == Phase::Deciding;
    case Phase::WaitingForUpstream:
      return to == Phase::AwaitingHead || to == Phase::Done;
    case Phase::AwaitingHead:
      return to == Phase::AwaitingHead || to == Phase::Buffering || to == Phase::Streaming ||
             to == Phase::Refreshing || to == Phase::Done;
    case Phase::Buffering:
      return to == Phase::Streaming || to == Phase::Done;
    case Phase::Streaming:
    case Phase::Refreshing:
      return to == Phase::Done;
    case Phase::Done:
    case Phase::Abandoned:
      return false;
  }
  return false;
}

void Exchange::enter(Phase next) {
  ETAGD_ASSERT(allowed(phase_, next), "exchange phase transition");
  phase_ = next;
}

base::WallSeconds Exchange::now() const { return worker_.clock().wall(); }

std::pair<base::WallSeconds, base::WallSeconds> Exchange::request_and_response_time() const {
  using std::chrono::seconds;
  base::WallMillis response = worker_.clock().wall_ms();
  base::WallSeconds response_time = std::chrono::floor<seconds>(response);
  seconds delay = std::chrono::floor<seconds>(std::max(response - request_sent_, {}));
  return {response_time - delay, response_time};
}

void Exchange::prepare() {
  start_ = base::monotonic_now();
  record_.start_unix_ms = worker_.clock().wall_ms().time_since_epoch().count();
  running_ = worker_.running();
  std::string host = rule_host(request_.host);
  actions_ = running_->config->rules.match(request_.method, host, request_.path).actions;
}

void Exchange::start() {
  prepare();
  if (cache_use(request_, *actions_) == CacheUse::Store) {
    const config::CacheKeyActions& key = actions_->cache_key;
    cache::Scheme scheme = key_scheme(downstream_.client().scheme);
    if (key.query.empty()) {
      url_key_ = cache::make_url_key(request_.host, request_.target, scheme);
    } else {
      std::string target = http::normalise_query(request_.target, key.query);
      url_key_ = cache::make_url_key(request_.host, target, scheme);
      if (key.forward_normalised) forwarded_target_ = std::move(target);
    }
  }
  decide_and_act();
}

void Exchange::start_refresh(cache::EntryRef stale, std::string key) {
  prepare();
  record_.cache_status = ops::CacheStatus::Miss;
  url_key_ = std::string(stale->url_key());
  lead_.hold(worker_.shared().coalescer(), std::move(key));
  stale_ = std::move(stale);
  fetch(Purpose::Revalidate);
}

void Exchange::decide_and_act() {
  ETAGD_ASSERT(phase_ == Phase::Deciding, "decisions are taken before anything else happens");
  Lookup lookup;
  cache::EntryRef found;
  bool store = !url_key_.empty();
  base::WallSeconds now_s = now();
  if (store) {
    // Fleet mode: sampled before the lookup, so that after a resubscription the lookup sees
    // the cache already marked stale (fleet/hit_gate.h).
    fleet::HitGate gate = worker_.shared().fleet_hit_gate();
    cache::LookupResult r = worker_.shared().cache().lookup(url_key_, request_.headers);
    found = std::move(r.entry);
    // Not even as a stale stand-in for an error: for this request it is not there.
    if (found && !may_reuse_for(request_, *actions_, *found)) found.reset();
    lookup.entry = found.get();
    // Stored since this request began to wait: the leader's response to the collapsed
    // requests, or one as recent.
    lookup.answers_collapsed_request =
        waited_ && found && found->freshness().response_time >= wait_started_;
    // An entry a missed fleet invalidation may have hit is revalidated, never served as is.
    lookup.forced_stale = r.forced_stale || (found && !gate.allows(*found, now_s));
  }
  Plan plan = decide(request_, *actions_, store ? &lookup : nullptr, now_s);
  record_.cache_status = plan.status;
  switch (plan.kind) {
    case Plan::Kind::Forward:
      fetch(Purpose::Forward);
      return;
    case Plan::Kind::Validate:
      fetch(Purpose::Fetch);
      return;
    case Plan::Kind::ServeHit:
      // After waiting for another request's fetch, the entry is that fetch's: say so, since
      // the time this answer took is the wait, not a lookup.
      serve_entry(found, waited_ ? ops::CacheStatus::HitCoalesced : ops::CacheStatus::Hit);
      return;
    case Plan::Kind::ServeStale:
      // RFC 5861 stale-while-revalidate: answer now, refresh with one background request.
      worker_.refresh_in_background(found, request_, downstream_.client(), coalescing_key());
      serve_entry(found, ops::CacheStatus::Stale);
      return;
    case Plan::Kind::Fetch:
      // Kept for stale-if-error, when there is one; partial content never stands in for the
      // whole response.
      if (found && found->part_count() == 0) stale_ = std::move(found);
      coalesce_then_fetch(Purpose::Fetch);
      return;
    case Plan::Kind::FetchRange:
      if (found && found->part_count() > 0) partial_ = std::move(found);
      fetch(Purpose::FetchRange);
      return;
    case Plan::Kind::Revalidate:
      stale_ = std::move(found);
      coalesce_then_fetch(Purpose::Revalidate);
      return;
  }
}

std::string Exchange::coalescing_key() const {
  return proxy::coalescing_key(url_key_, request_, *actions_);
}

void Exchange::coalesce_then_fetch(Purpose purpose) {
  if (!coalesced_ && !credentials_unkeyed(request_, *actions_)) {
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
      wait_started_ = now();
      wait_for_leader();
      return;
    }
    worker_.unregister_waiter(id);
    lead_.hold(worker_.shared().coalescer(), std::move(key));
  }
  fetch(purpose);
}

void Exchange::wait_for_leader() {
  enter(Phase::WaitingForLeader);
  if (!wait_timer_) {
    wait_timer_ = std::make_unique<base::Timer>(worker_.base(), &Exchange::on_wait_timeout, this);
  }
  wait_timer_->arm(running_->config->cache.coalesce_timeout);
}

void Exchange::on_wait_timeout(void* self) {
  // The leader is slow: go upstream ourselves rather than wait without bound.
  static_cast<Exchange*>(self)->on_coalescing_done(cache::Coalescer::WakeReason::Finished);
}

void Exchange::on_coalescing_done(cache::Coalescer::WakeReason reason) {
  if (phase_ != Phase::WaitingForLeader) return;  // a late wake-up, or the client left
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
  enter(Phase::Deciding);
  decide_and_act();
}

void Exchange::fetch(Purpose purpose) {
  purpose_ = purpose;
  // An invalidation that happens while this request is upstream must win over its response.
  fetch_seq_ = cache::CacheStore::current_seq();
  // A HEAD that etagd must hash or store is fetched as GET (as nginx's proxy_cache_convert_head).
  upstream_method_ = (request_.method == http::Method::Head && purpose != Purpose::Forward)
                         ? http::Method::Get
                         : request_.method;
  UpstreamRequestOptions& opts = request_options_;
  opts = UpstreamRequestOptions{};
  opts.method = upstream_method_;
  opts.method_token = request_.method_token;
  opts.strip_conditionals = purpose != Purpose::Forward;
  opts.keep_range = purpose == Purpose::FetchRange;
  if (purpose == Purpose::Revalidate) {
    if (stale_->etag_from_upstream()) opts.if_none_match = stale_->etag();
    opts.if_modified_since = stale_->last_modified();
  }
  // Passed-through validators may name a representation etagd encoded; stored routes evaluate
  // them here instead (strip_conditionals).
  if (purpose == Purpose::Forward && actions_->compress.enabled) {
    opts.etag_codings = &actions_->compress.encodings;
  }
  opts.client = &downstream_.client();
  opts.target = forwarded_target_;
  opts.body_length = request_body_ ? evbuffer_get_length(request_body_) : 0;

  if (opts.body_length > 0 && !upstream_body_) {
    upstream_body_ = base::make_evbuffer();
    evbuffer_add_buffer(upstream_body_.get(), request_body_);
  }
  request_server_ = nullptr;
  if (!take_upstream_slot()) return;
  connect_upstream(/*fresh=*/false);
}

bool Exchange::take_upstream_slot() {
  const config::UpstreamConfig& u = running_->config->upstream;
  if (holds_slot_) return true;
  UpstreamSlots& slots = worker_.shared().upstream_slots();
  ChoiceContext choice = choice_for(u);
  bool none_usable = false;
  server_ = slots.try_admit(running_->servers, choice, none_usable);
  if (server_) {
    holds_slot_ = true;
    return true;
  }
  if (none_usable) {
    answer_unavailable("no upstream server is up", ops::WorkerMetrics::Unavailable::NoServer);
    return false;
  }
  uint64_t id = worker_.register_waiter(this);
  switch (slots.enqueue(running_->servers, choice, u.queue.size, {&worker_, id}, server_)) {
    case UpstreamSlots::Admission::NoneUsable:
      worker_.unregister_waiter(id);
      answer_unavailable("no upstream server is up", ops::WorkerMetrics::Unavailable::NoServer);
      return false;
    case UpstreamSlots::Admission::Granted:
      worker_.unregister_waiter(id);
      holds_slot_ = true;
      return true;
    case UpstreamSlots::Admission::Queued:
      waiter_id_ = id;
      queued_ = true;
      queued_at_ = base::monotonic_now();
      enter(Phase::WaitingForUpstream);
      if (!queue_timer_) {
        queue_timer_ = std::make_unique<base::Timer>(worker_.base(), &Exchange::on_queue_timeout, this);
      }
      queue_timer_->arm(u.queue.timeout);
      return false;
    case UpstreamSlots::Admission::QueueFull:
      worker_.unregister_waiter(id);
      answer_unavailable("the origin is at max_connections and the queue is full",
                         ops::WorkerMetrics::Unavailable::QueueFull);
      return false;
  }
  return false;
}

void Exchange::on_upstream_slot(std::shared_ptr<UpstreamServer> server) {
  server_ = std::move(server);
  worker_.unregister_waiter(waiter_id_);
  waiter_id_ = 0;
  queued_ = false;
  holds_slot_ = true;
  if (queue_timer_) queue_timer_->cancel();
  if (phase_ != Phase::WaitingForUpstream) {
    // Granted while the client was leaving: nothing to send, pass the slot on.
    release_upstream_slot();
    return;
  }
  server_->queue_wait.observe(base::micros_between(queued_at_, base::monotonic_now()));
  connect_upstream(/*fresh=*/false);
}

void Exchange::on_queue_timeout(void* self) {
  auto* e = static_cast<Exchange*>(self);
  if (e->phase_ != Phase::WaitingForUpstream) return;
  // Not in the queue any more: its slot was granted and the grant is on the way; take it.
  if (!e->worker_.shared().upstream_slots().withdraw({&e->worker_, e->waiter_id_})) return;
  e->worker_.unregister_waiter(e->waiter_id_);
  e->waiter_id_ = 0;
  e->queued_ = false;
  e->answer_unavailable("no origin connection became free within upstream.queue.timeout",
                        ops::WorkerMetrics::Unavailable::QueueTimeout);
}

void Exchange::release_upstream_slot() {
  if (!holds_slot_) return;
  holds_slot_ = false;
  // The waiters go to the servers of the config new requests use, not of the one this
  // request started with: a reload may have added servers or removed this one.
  const RunningConfig& current = *worker_.running();
  Worker::wake_granted(worker_.shared().upstream_slots().release(
      *server_, current.servers, choice_for(current.config->upstream)));
}

void Exchange::answer_unavailable(std::string_view reason, ops::WorkerMetrics::Unavailable why) {
  worker_.metrics().record_upstream_unavailable(why);
  if (serve_stale_on_error()) return;
  lead_.release();
  // RFC 9110 §10.2.3: when to try again; about when a request queued now would be served.
  auto seconds = std::chrono::ceil<std::chrono::seconds>(running_->config->upstream.queue.timeout);
  std::string retry_after = "Retry-After: ";
  http::append_decimal(retry_after, static_cast<uint64_t>(std::max<int64_t>(1, seconds.count())));
  retry_after += "\r\n";
  respond_error(503, reason, retry_after);
}

void Exchange::connect_upstream(bool fresh) {
  enter(Phase::AwaitingHead);
  upstream_start_ = base::monotonic_now();
  request_sent_ = worker_.clock().wall_ms();
  if (request_server_ != server_.get()) write_upstream_request();
  if (base::Status s = worker_.upstream_pool().acquire(*server_, fresh, upstream_); !s) {
    on_upstream_error(UpstreamError::ConnectFailed);
    return;
  }
  upstream_->start(upstream_request_.get(), upstream_method_ == http::Method::Head, this);
}

void Exchange::on_upstream_interim(const http::ResponseHead& head) {
  ETAGD_ASSERT(phase_ == Phase::AwaitingHead, "interim responses come while the head is awaited");
  // 100 Continue answers the Expect that etagd already answered itself (RFC 9110 §10.1.1);
  // other 1xx (103 Early Hints) are relayed to the client that asked, never stored, so a hit
  // never replays them (RFC 9110 §15.2).
  if (head.status == 100) return;
  std::string fields;
  const http::ConnectionOptions connection(head.headers);
  for (const http::HeaderField& f : head.headers) {
    if (connection.is_specific(f.name)) continue;
    http::append_field(fields, f.name, f.value);
  }
  downstream_.send_interim(head.status, fields);
}

void Exchange::write_upstream_request() {
  request_options_.per_server = true;
  request_options_.base_path = server_->base_path;
  request_options_.authority = server_->authority;
  upstream_request_ = base::make_evbuffer();
  write_upstream_request_head(upstream_request_.get(), request_, running_->config->upstream,
                              request_options_);
  // Copied, not moved: a retry to another server needs the body again after a new head. (Not
  // by reference: the connection references upstream_request_ itself, and libevent does not
  // reference a reference.)
  if (upstream_body_) {
    int n = evbuffer_peek(upstream_body_.get(), -1, nullptr, nullptr, 0);
    std::vector<evbuffer_iovec> vec(static_cast<size_t>(std::max(n, 0)));
    n = evbuffer_peek(upstream_body_.get(), -1, nullptr, vec.data(), n);
    for (int i = 0; i < n; ++i) evbuffer_add(upstream_request_.get(), vec[i].iov_base, vec[i].iov_len);
  }
  request_server_ = server_.get();
}

void Exchange::on_upstream_head(const http::ResponseHead& head) {
  ETAGD_ASSERT(phase_ == Phase::AwaitingHead, "a response head arrives once, while awaited");
  upstream_head_ = &head;
  if (!http::is_safe(request_.method) && head.status >= 200 && head.status < 400) {
    invalidate_after_write(worker_.shared().cache(), worker_.shared().fleet(),
                           running_->config->rules, request_, head, *actions_);
  }
  upstream_cc_ = parse_cache_control(head.headers, running_->config->targeted_cache_control);
  HeadContext context;
  context.purpose = purpose_;
  context.background = !downstream_.wants_answer();
  context.upstream_method = upstream_method_;
  context.stale_usable_on_error = stale_ && stale_->usable_on_error(now());
  context.max_object_size = running_->config->cache.max_object_size;
  context.no_rules = running_->config->rules.rules().empty();
  HeadPlan plan = plan_for_head(context, request_, *actions_, head, upstream_cc_);
  switch (plan.action) {
    case HeadPlan::Action::Stream:
      lead_.release();  // nothing will be stored: waiters go upstream themselves
      begin_streaming(head);
      return;
    case HeadPlan::Action::Buffer:
      begin_buffering(head, plan);
      return;
    case HeadPlan::Action::ServeStale:
      serve_stale_on_error();
      return;
    case HeadPlan::Action::Refreshed:
      enter(Phase::Refreshing);  // no body follows; on_upstream_complete() refreshes the entry
      return;
    case HeadPlan::Action::Drop:
      lead_.release();
      drop_upstream();
      end_answer();
      return;
  }
}

void Exchange::begin_buffering(const http::ResponseHead& head, const HeadPlan& plan) {
  enter(Phase::Buffering);
  storable_ = plan.store;
  body_buf_.clear();
  if (head.content_length) body_buf_.reserve(static_cast<size_t>(*head.content_length));
  if (plan.hash) {
    if (!hasher_) hasher_ = std::make_unique<http::ContentHasher>();
    hasher_->reset();
  } else {
    hasher_.reset();
  }
}

void Exchange::begin_streaming(const http::ResponseHead& head) {
  enter(Phase::Streaming);
  record_.status = head.status;
  std::string fields;
  write_client_fields(fields, head, field_options(head, head.status, {}));
  std::optional<http::ContentCoding> coding = streaming_coding(head);
  if (coding) {
    // Encoded on the fly, as the body streams through: the answer varies on Accept-Encoding
    // whichever coding this request gets, and an encoded one has its own ETag (the
    // upstream's plus the coding) and no Content-Length (it is not known before the end).
    fields = with_vary_accept_encoding(fields);
    if (*coding != http::ContentCoding::Identity) {
      std::string etag = representation_etag(head.headers.get("etag"), *coding);
      fields = representation_fields(fields, etag, *coding);
      stream_encoder_ = http::make_encoder(*coding, actions_->compress.level(*coding));
    }
  } else if (head.status == 304 && encodes_on_the_fly()) {
    fields = relayed_304_fields(fields, head);
  }
  AnswerHead a;
  a.status = head.status;
  a.fields = fields;
  // A pass-through answer is not served from the cache: it carries the upstream's own Age, if
  // any, and etagd adds none (RFC 9111 §5.1: Age says a response came from a cache).
  if (std::string_view age = head.headers.get("age"); !age.empty()) a.age = parse_age(age);
  // RFC 9110 §6.6.1: the origin's Date is relayed; without one (or an invalid one) etagd, a
  // recipient with a clock, adds the time it received the response.
  if (auto date = http::parse_http_date(head.headers.get("date"))) a.date = *date;
  a.status_header = running_->config->cache.status_header;
  a.cache_status = record_.cache_status;
  a.no_content = status_has_no_content(head.status);
  if (!a.no_content && head.content_length && !stream_encoder_) {
    a.content_length = *head.content_length;
  }
  sends_body_ = !a.no_content && request_.method != http::Method::Head;
  // Held back by the downstream: the head leaves with the first body bytes of the same read
  // (on_upstream_input_drained), or with the end of the response.
  downstream_.start_answer(a);
}

bool Exchange::encodes_on_the_fly() const {
  // Only what a bypass rule forwards for a read: stored and validated responses are encoded
  // whole (finish_fetch), and a body that outgrew max_object_size streams as it came.
  if (purpose_ != Purpose::Forward || actions_->cache != config::CacheMode::Bypass) return false;
  if (!actions_->compress.enabled) return false;
  if (request_.method != http::Method::Get && request_.method != http::Method::Head) return false;
  // A Range request's answer is a range of the identity bytes (representation_choice.h).
  return !request_.headers.contains("range");
}

std::string Exchange::relayed_304_fields(std::string_view fields, const http::ResponseHead& head) const {
  // The upstream matched its own tag (the request named it beside the client's encoded one,
  // upstream_request.h); the client gets the ETag and Vary its 200 would have carried
  // (RFC 9110 §15.4.5). Whether that 200 would have been encoded cannot be known from a 304,
  // so Vary is sent either way: it only makes a downstream cache key on Accept-Encoding.
  std::string out = with_vary_accept_encoding(fields);
  std::string inm;
  for (const http::HeaderField& f : request_.headers) {
    if (!http::iequals(f.name, "if-none-match")) continue;
    if (!inm.empty()) inm += ", ";
    inm.append(f.value);
  }
  const config::CompressPolicy& policy = actions_->compress;
  http::ContentCoding chosen =
      http::AcceptEncoding::from_request(request_.headers).choose(policy.encodings);
  std::string etag =
      client_etag_for_upstream_304(inm, head.headers.get("etag"), policy.encodings, chosen);
  if (etag.empty()) return out;
  return replace_etag_field(out, etag);
}

std::optional<http::ContentCoding> Exchange::streaming_coding(const http::ResponseHead& head) const {
  if (!encodes_on_the_fly()) return {};
  const config::CompressPolicy& policy = actions_->compress;
  // Unknown length (chunked): taken to be long enough; the policy's other tests still apply.
  if (!may_encode(policy, head, upstream_cc_, head.content_length.value_or(policy.min_size))) {
    return {};
  }
  return http::AcceptEncoding::from_request(request_.headers).choose(policy.encodings);
}

bool Exchange::encode_streamed(std::string_view input, bool end) {
  encoded_buf_.clear();
  bool ok = (input.empty() || stream_encoder_->write(input, encoded_buf_)) &&
            (end ? stream_encoder_->finish(encoded_buf_) : true);
  if (!ok) {
    // The head is out (or will be) with Content-Encoding: an answer cut short is the honest
    // signal left, as for an upstream that fails mid-body.
    spdlog::error("compressing a streamed answer failed; the answer was cut short");
    record_.truncated = true;
    record_answer();
    drop_upstream();
    enter(Phase::Done);
    downstream_.abort_answer();
    return false;
  }
  return true;
}

void Exchange::stream_body(const char* data, size_t len) {
  if (!sends_body_ || len == 0) return;
  if (stream_encoder_) {
    if (!encode_streamed({data, len}, false)) return;
    if (encoded_buf_.empty()) return;  // the codec holds it until it has a block
    data = encoded_buf_.data();
    len = encoded_buf_.size();
  }
  record_.body_bytes += len;
  if (downstream_.send_body(data, len)) return;
  // Over the downstream's high watermark: stop reading until it drains, unless it went away
  // meanwhile (then this exchange has been abandoned).
  if (phase_ == Phase::Streaming && upstream_) upstream_->pause_reading();
}

void Exchange::on_upstream_input_drained() {
  if (phase_ != Phase::Streaming) return;
  if (stream_encoder_ && sends_body_) {
    // The end of one upstream read: what it carried goes out now, decodable (a streamed API
    // answer must not wait in the codec for more input).
    encoded_buf_.clear();
    if (!stream_encoder_->flush(encoded_buf_)) {
      encode_streamed({}, true);  // reports and cuts the answer short
      return;
    }
    if (!encoded_buf_.empty()) {
      std::string flushed = std::move(encoded_buf_);
      record_.body_bytes += flushed.size();
      if (!downstream_.send_body(flushed.data(), flushed.size()) && upstream_) {
        upstream_->pause_reading();
      }
      if (phase_ != Phase::Streaming) return;
    }
  }
  downstream_.flush();
}

void Exchange::on_downstream_drained() {
  if (phase_ == Phase::Streaming && upstream_) upstream_->resume_reading();
}

void Exchange::on_upstream_body(const char* data, size_t len) {
  if (phase_ == Phase::Streaming) {
    stream_body(data, len);
    return;
  }
  if (phase_ != Phase::Buffering) return;
  if (body_buf_.size() + len > running_->config->cache.max_object_size) {
    if (!downstream_.wants_answer()) {
      lead_.release();
      drop_upstream();
      end_answer();
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
  ETAGD_ASSERT(upstream_ && upstream_head_, "the upstream head is valid while its connection is held");
  // The body turned out larger than max_object_size: neither stored nor hashed.
  storable_ = false;
  lead_.release();
  begin_streaming(*upstream_head_);
  std::string buffered = std::move(body_buf_);
  stream_body(buffered.data(), buffered.size());
}

void Exchange::on_upstream_complete() {
  switch (phase_) {
    case Phase::Streaming:
      if (stream_encoder_ && sends_body_) {
        if (!encode_streamed({}, true)) return;
        record_.body_bytes += encoded_buf_.size();
        downstream_.send_body(encoded_buf_.data(), encoded_buf_.size());
        if (phase_ != Phase::Streaming) return;  // the client went away meanwhile
      }
      release_upstream();
      record_answer();
      end_answer();
      return;
    case Phase::Refreshing:
      finish_revalidation();
      return;
    case Phase::Buffering:
      finish_fetch();
      return;
    default:
      ETAGD_ASSERT(false, "a response completes only while it is read");
      return;
  }
}

ClientFieldOptions Exchange::field_options(const http::ResponseHead& head, int status,
                                           std::string_view etag, bool for_own_client) const {
  ClientFieldOptions fo;
  fo.actions = actions_;
  fo.status_header = running_->config->cache.status_header;
  fo.status = status;
  fo.etag = etag;
  // What is not stored goes to this client only, with whatever Set-Cookie the upstream sent.
  fo.upstream_allows = upstream_sharing(head, storable_ && actions_->ignore_upstream_cache_control,
                                        !storable_ || for_own_client);
  fo.per_user = answer_is_per_user(head, carries_credentials(request_, *actions_));
  return fo;
}

void Exchange::keep_own_cache_control(const http::ResponseHead& head, int status,
                                      std::string_view etag) {
  if (!head.headers.contains("set-cookie")) return;
  own_cache_control_ = cache_control_lines(head, field_options(head, status, etag, true));
}

std::vector<http::ContentCoding> Exchange::encodings_to_make() const {
  const config::CompressPolicy& policy = actions_->compress;
  if (storable_) return policy.encodings;
  // Not stored: only what this request gets, and nothing for a Range request (answered from
  // the identity bytes, representation_choice.h).
  if (request_.method == http::Method::Get && request_.headers.contains("range")) return {};
  http::ContentCoding chosen = http::AcceptEncoding::from_request(request_.headers)
                                   .choose(policy.encodings);
  if (chosen == http::ContentCoding::Identity) return {};
  return {chosen};
}

cache::FreshnessPolicy Exchange::freshness_policy(int status) const {
  cache::FreshnessPolicy policy;
  if (config::TtlValue ttl = actions_->ttl.for_status(status); !ttl.from_origin) {
    policy.ttl = ttl.value;
  }
  policy.status = status;
  policy.heuristic_max =
      std::chrono::duration_cast<std::chrono::seconds>(running_->config->cache.heuristic_max);
  policy.stale_if_error = actions_->stale_if_error;
  policy.stale_while_revalidate = actions_->stale_while_revalidate;
  return policy;
}

cache::ResponseToStore Exchange::response_to_store(const http::ResponseHead& head, int status) {
  auto [request_time, response_time] = request_and_response_time();
  cache::ResponseToStore r;
  r.status = status;
  std::string_view upstream_etag = head.headers.get("etag");
  // A part has no content hash of its own: the origin's validator is what identifies it
  // (and what combines it with others, RFC 9111 §3.4).
  bool upstream_tag = actions_->etag == config::EtagPolicy::Preserve || status == 206;
  if (!upstream_etag.empty() && upstream_tag) {
    r.etag = std::string(upstream_etag);
    r.etag_from_upstream = true;
  } else if (hasher_) {
    r.etag = hasher_->etag();
  }
  r.shared_explicitly = http::shared_explicitly(upstream_cc_);
  write_client_fields(r.header_block, head, field_options(head, status, r.etag));
  if (storable_) {
    // Stored only without its Set-Cookie (no-cache="Set-Cookie" or private="Set-Cookie").
    take_fields(r.header_block, upstream_cc_.unshared_fields, own_fields_);
    keep_own_cache_control(head, status, r.etag);
  }
  if (head.status == 206) {
    // Written per answer, for the ranges it sends (serve_range).
    std::string content_range;
    take_fields(r.header_block, {"content-range"}, content_range);
  }
  // A stored 200 answers Range requests from memory (serve_range), so clients may ask for them
  // (RFC 9110 §14.3); an upstream that says something itself is left to say it.
  if (status == 200 && !head.headers.contains("accept-ranges")) {
    http::append_field(r.header_block, "Accept-Ranges", "bytes");
  }
  if (std::string_view lm = head.headers.get("last-modified"); !lm.empty()) {
    r.last_modified = http::parse_http_date(lm);
  }
  // A part of a 200 is fresh as long as that 200 would be.
  r.freshness = cache::compute_freshness(head.headers, upstream_cc_,
                                         freshness_policy(status == 206 ? 200 : status),
                                         request_time, response_time);
  r.variant = response_variant(request_, *actions_, head.headers);
  if (may_encode(actions_->compress, head, upstream_cc_, body_buf_.size())) {
    // A stored response is encoded once, here, in every coding the rule lists: the miss pays
    // for it and every hit is served from memory (bench/README.md has the cost). A response
    // that is not stored (validate) is encoded only in the coding this request gets.
    std::vector<http::ContentCoding> codings = encodings_to_make();
    if (!codings.empty()) {
      r.header_block = with_vary_accept_encoding(r.header_block);
      r.encoded = encode_representations(actions_->compress, codings, r.header_block, r.etag,
                                         body_buf_);
    }
  }
  r.body = std::move(body_buf_);
  r.seq = fetch_seq_;
  return r;
}

void Exchange::finish_fetch() {
  ETAGD_ASSERT(upstream_ && upstream_head_, "the upstream head is valid while its connection is held");
  const http::ResponseHead& head = *upstream_head_;
  fetched_with_age_ = head.headers.contains("age");
  if (head.status == 206) {
    finish_part();
    return;
  }
  cache::EntryRef entry = cache::CacheEntry::make(url_key_, response_to_store(head, head.status));
  if (storable_) worker_.shared().cache().insert(entry);
  release_upstream();
  lead_.release();  // after insert: woken waiters find the entry
  serve_entry(entry, record_.cache_status);
}

void Exchange::finish_part() {
  // Only a 206 to a forwarded Range that plan_for_head found storable is buffered here.
  const http::ResponseHead& head = *upstream_head_;
  std::optional<StorablePart> part = storable_part(head, running_->config->cache.max_object_size);
  std::string bytes = std::move(body_buf_);
  body_buf_.clear();
  if (!part || bytes.size() != part->range.size()) {
    release_upstream();
    respond_error(502, "the origin's 206 does not hold the range its Content-Range names");
    return;
  }
  // The fields of the 206 as its client gets them, kept for the answer (below).
  cache::ResponseToStore received = response_to_store(head, 206);
  cache::EntryRef stored;
  if (storable_) {
    cache::PartialContent parts = combine(partial_.get(), *part, bytes);
    if (cache::is_complete(parts)) {
      // RFC 9111 §3.4: the parts are the whole response now, stored as a 200 like any fetched
      // one, with the fields of the newest part and a content ETag where the rule makes one.
      body_buf_ = std::move(parts.parts.front().bytes);
      if (actions_->etag == config::EtagPolicy::Generate || head.headers.get("etag").empty()) {
        hasher_ = std::make_unique<http::ContentHasher>();
        hasher_->update(body_buf_.data(), body_buf_.size());
      }
      own_fields_.clear();  // taken again from the same head
      stored = cache::CacheEntry::make(url_key_, response_to_store(head, 200));
    } else {
      cache::ResponseToStore r = received;
      cache::put_parts(std::move(parts), r);
      stored = cache::CacheEntry::make(url_key_, std::move(r));
    }
    worker_.shared().cache().insert(stored);
  }
  // Answered from what is stored when it holds the request's ranges, else with the part as
  // the origin sent it.
  cache::EntryRef answer = stored;
  if (!answer || (answer->part_count() > 0 && !partial_covers(request_, *answer))) {
    cache::put_parts(combine(nullptr, *part, bytes), received);
    answer = cache::CacheEntry::make(url_key_, std::move(received));
  }
  release_upstream();
  serve_entry(answer, record_.cache_status);
}

void Exchange::finish_revalidation() {
  // RFC 9111 §4.3.4: the 304's fields update the stored response; the body stays.
  ETAGD_ASSERT(upstream_ && upstream_head_ && stale_,
               "a refresh needs the stored entry and the 304, valid while its connection is held");
  const http::ResponseHead& head = *upstream_head_;
  auto [request_time, response_time] = request_and_response_time();
  fetched_with_age_ = head.headers.contains("age");
  cache::ResponseToStore r;
  r.status = stale_->status();
  r.etag = std::string(stale_->etag());
  r.etag_from_upstream = stale_->etag_from_upstream();
  if (std::string_view et = head.headers.get("etag"); !et.empty() && r.etag_from_upstream) {
    r.etag = std::string(et);
  }
  // RFC 9111 §4.3.4: a 304's Cache-Control replaces the stored one.
  bool new_directives = head.headers.contains("cache-control") || upstream_cc_.targeted;
  r.shared_explicitly = new_directives ? http::shared_explicitly(upstream_cc_)
                                       : stale_->shared_explicitly();
  r.last_modified = stale_->last_modified();
  if (std::string_view lm = head.headers.get("last-modified"); !lm.empty()) {
    if (auto t = http::parse_http_date(lm)) r.last_modified = t;
  }
  merge_not_modified_fields(r.header_block, stale_->header_block(), head,
                            field_options(head, r.status, r.etag));
  // A 304 may set a cookie for the client that asked (a session refresh); the stored response
  // serves everyone, so the cookie goes to this client only.
  std::vector<std::string_view> unshared = upstream_cc_.unshared_fields;
  unshared.push_back("set-cookie");
  take_fields(r.header_block, unshared, own_fields_);
  keep_own_cache_control(head, r.status, r.etag);
  if (stale_->encoded_count() > 0) {
    // The 304's Vary may have replaced the stored one: the encoded representations still make
    // the response vary on Accept-Encoding.
    r.header_block = with_vary_accept_encoding(r.header_block);
    r.encoded = refreshed_representations(*stale_, r.header_block, r.etag);
  }
  // The lifetime comes from the upstream, never from the Cache-Control rewritten for clients:
  // the 304's own directives when it has any, else the stored lifetime from the start.
  if (head.headers.contains("cache-control") || head.headers.contains("expires")) {
    r.freshness = cache::compute_freshness(head.headers, upstream_cc_,
                                           freshness_policy(r.status), request_time,
                                           response_time);
  } else {
    r.freshness = stale_->freshness();
    r.freshness.request_time = request_time;
    r.freshness.response_time = response_time;
    std::optional<int64_t> date = http::parse_http_date(head.headers.get("date"));
    r.freshness.date_value = date ? base::WallSeconds(std::chrono::seconds(*date)) : response_time;
    r.freshness.age_value = std::chrono::seconds(parse_age(head.headers.get("age")));
  }
  r.seq = fetch_seq_;
  cache::EntryRef fresh = cache::CacheEntry::refreshed(*stale_, std::move(r));
  worker_.shared().cache().replace(stale_, fresh);
  release_upstream();
  lead_.release();
  serve_entry(fresh, ops::CacheStatus::Revalidated);
}

void Exchange::serve_entry(const cache::EntryRef& entry, ops::CacheStatus status) {
  record_.cache_status = status;
  record_.heuristic_freshness = entry->freshness().heuristic;
  EntryAnswer a = answer_from_entry(request_, *entry, status, fetched_with_age_, now());
  if (entry->part_count() > 0) {
    serve_range(entry, a, plan_partial(request_, *entry));
    return;
  }
  if (!a.not_modified && a.status == 200) {
    RangeAnswer range = plan_range(request_, *entry);
    if (range.kind != RangeAnswer::Kind::Whole) {
      serve_range(entry, a, range);
      return;
    }
  }
  // Fields the cache keeps from others go to the client the response was fetched for.
  bool fetched_for_this = status == ops::CacheStatus::Miss || status == ops::CacheStatus::Revalidated;
  if (fetched_for_this && (!own_fields_.empty() || own_cache_control_)) {
    std::string fields(a.fields);
    if (own_cache_control_) {
      std::string stored_lines;
      take_fields(fields, {"cache-control"}, stored_lines);
      fields.insert(0, *own_cache_control_);  // first, in the group a 304 repeats
    }
    own_fields_.insert(0, fields);
    a.fields = own_fields_;
  }
  AnswerHead head;
  head.status = a.status;
  head.fields = a.fields;
  head.age = a.age;
  head.date = a.date;
  head.status_header = running_->config->cache.status_header;
  head.cache_status = status;
  head.heuristic_freshness = record_.heuristic_freshness;
  head.no_content = status_has_no_content(a.status);
  std::string_view body = a.representation.body;
  if (!head.no_content) head.content_length = body.size();
  record_.status = a.status;
  record_.local_304 = a.not_modified;  // etagd made this 304 (the upstream sent the full body, or nothing)
  record_.bytes_saved = a.bytes_saved;
  downstream_.start_answer(head);
  if (a.has_body) {
    downstream_.send_entry_body(entry, body);
    record_.body_bytes = body.size();
  }
  record_answer();
  end_answer();
}

void Exchange::serve_range(const cache::EntryRef& entry, const EntryAnswer& a,
                           const RangeAnswer& range) {
  const uint64_t length = representation_length(*entry);
  AnswerHead head;
  head.age = a.age;
  head.status_header = running_->config->cache.status_header;
  head.cache_status = record_.cache_status;
  head.heuristic_freshness = record_.heuristic_freshness;
  std::string fields;
  if (range.kind == RangeAnswer::Kind::Unsatisfiable) {
    // RFC 9110 §15.5.17: the current length, so the client can ask again.
    std::string text = error_answer_body(416, "no requested range overlaps the content");
    fields = std::string(kErrorAnswerFields);
    http::append_field(fields, "Content-Range", "bytes */" + std::to_string(length));
    head.status = 416;
    head.fields = fields;
    head.content_length = text.size();
    record_.status = 416;
    downstream_.start_answer(head);
    downstream_.send_body(text.data(), text.size());
    record_.body_bytes = text.size();
    record_answer();
    end_answer();
    return;
  }
  head.status = 206;
  record_.status = 206;
  if (range.ranges.size() == 1) {
    const http::ByteRange& r = range.ranges.front();
    fields = std::string(a.fields);
    http::append_field(fields, "Content-Range", content_range(r, length));
    head.fields = fields;
    head.content_length = r.size();
    downstream_.start_answer(head);
    downstream_.send_entry_body(entry, held_bytes(*entry, r));
    record_.body_bytes = r.size();
    record_answer();
    end_answer();
    return;
  }
  // RFC 9110 §14.6: several ranges, one part each, framed by a boundary.
  std::string boundary = multipart_boundary();
  MultipartLayout layout =
      multipart_layout(range.ranges, length, content_type_of(a.fields), boundary);
  fields = without_content_type(a.fields);
  http::append_field(fields, "Content-Type", "multipart/byteranges; boundary=" + boundary);
  head.fields = fields;
  head.content_length = layout.content_length;
  downstream_.start_answer(head);
  for (size_t i = 0; i < range.ranges.size(); ++i) {
    const http::ByteRange& r = range.ranges[i];
    downstream_.send_body(layout.part_heads[i].data(), layout.part_heads[i].size());
    downstream_.send_entry_body(entry, held_bytes(*entry, r));
  }
  downstream_.send_body(layout.closing.data(), layout.closing.size());
  record_.body_bytes = layout.content_length;
  record_answer();
  end_answer();
}

bool Exchange::serve_stale_on_error() {
  if (!stale_ || !stale_->usable_on_error(now())) return false;
  drop_upstream();
  lead_.release();
  serve_entry(stale_, ops::CacheStatus::Stale);
  return true;
}

void Exchange::on_upstream_error(UpstreamError error) {
  worker_.metrics().record_upstream_error(error);
  bool reused = upstream_ && upstream_->reused();
  bool got_bytes = upstream_ && upstream_->got_response_bytes();
  // Failures are rare: copying the reason before the connection goes costs nothing that counts.
  std::string detail(upstream_ ? upstream_->failure_detail() : std::string_view());
  drop_upstream(/*keep_slot=*/true);
  // A pooled connection the upstream closed before answering: the request never reached the
  // application (RFC 9110 §9.2.2 allows retrying idempotent requests), so try once more.
  bool before_response = error == UpstreamError::ClosedBeforeResponse ||
                         (error == UpstreamError::SendFailed && upstream_head_ == nullptr);
  if (phase_ == Phase::AwaitingHead && before_response && reused && !retried_ &&
      http::is_idempotent(upstream_method_)) {
    retried_ = true;
    connect_upstream(/*fresh=*/true);
    return;
  }
  const config::UpstreamConfig& u = running_->config->upstream;
  // A pooled connection closed while idle is the keep-alive race, not the server failing.
  if (!(reused && error == UpstreamError::ClosedBeforeResponse)) {
    int64_t now_ms = health_clock_ms();
    record_request_failed(*server_, error, now_ms);
    if (record_passive_failure(*server_, u.passive, now_ms)) {
      spdlog::warn("upstream {}: ejected for {} after {} failed requests within {}", server_->url,
                   config::format_duration(u.passive.eject_for), u.passive.fails,
                   config::format_duration(u.passive.within));
    }
  }
  // Nothing came back: the request may go to another server if it is idempotent (RFC 9110
  // §9.2.2). Its body, read whole before it went upstream, goes again complete.
  if (phase_ == Phase::AwaitingHead && !got_bytes && http::is_idempotent(upstream_method_) &&
      attempts_ < u.retry.tries) {
    std::shared_ptr<UpstreamServer> failed = server_;
    release_upstream_slot();
    bool none_usable = false;
    std::shared_ptr<UpstreamServer> next = worker_.shared().upstream_slots().try_admit(
        running_->servers, choice_for(u, failed.get()), none_usable);
    if (next) {
      failed->retries.fetch_add(1, std::memory_order_relaxed);
      ++attempts_;
      server_ = std::move(next);
      holds_slot_ = true;
      connect_upstream(/*fresh=*/false);
      return;
    }
  }
  release_upstream_slot();
  bool head_out = phase_ == Phase::Streaming && !downstream_.retract_answer();
  ops::report_upstream_failure({error, server_->host, server_->port, request_.method_token,
                                request_.target,
                                downstream_.wants_answer() ? record_.client : std::string_view(),
                                record_.body_bytes, head_out, detail});
  if (head_out) {
    // The head is out: the only honest signal left is to cut the answer short, so the client
    // sees a message that ends early (RFC 9112 §8) and not a complete one. The access log
    // still shows the answer, with the bytes that were sent.
    record_.truncated = true;
    record_answer();
    enter(Phase::Done);
    downstream_.abort_answer();
    return;
  }
  if (serve_stale_on_error()) return;
  lead_.release();
  respond_error(ops::upstream_error_status(error), ops::upstream_error_text(error));
}

void Exchange::respond_error(int status, std::string_view reason, std::string_view extra_fields) {
  // A proxied request's error still says how it was served (the cache-status field), but has
  // no Age: etagd made it now.
  record_.status = status;
  std::string body = error_answer_body(status, reason);
  AnswerHead head;
  head.status = status;
  std::string fields(kErrorAnswerFields);
  fields.append(extra_fields);
  head.fields = fields;
  head.status_header = running_->config->cache.status_header;
  head.cache_status = record_.cache_status;
  head.content_length = body.size();
  downstream_.start_answer(head);
  if (request_.method != http::Method::Head) {
    downstream_.send_body(body.data(), body.size());
    record_.body_bytes = body.size();
  }
  record_answer();
  end_answer();
}

void Exchange::end_answer() {
  if (phase_ != Phase::Done) enter(Phase::Done);
  downstream_.end_answer();  // retires this exchange: nothing may follow
}

void Exchange::abandon() {
  if (phase_ == Phase::Abandoned) return;
  enter(Phase::Abandoned);
  if (wait_timer_) wait_timer_->cancel();
  if (queue_timer_) queue_timer_->cancel();
  if (queued_ && worker_.shared().upstream_slots().withdraw({&worker_, waiter_id_})) {
    queued_ = false;  // else the grant is on its way: on_upstream_slot passes the slot on
  }
  drop_upstream();
  lead_.give_up();
}

void Exchange::release_upstream() {
  if (!upstream_) return;
  record_.upstream_us = base::micros_between(upstream_start_, base::monotonic_now());
  worker_.metrics().record_upstream_request(record_.upstream_us);
  record_request_answered(*server_);
  worker_.upstream_pool().release(*server_, std::move(upstream_));
  release_upstream_slot();
}

void Exchange::drop_upstream(bool keep_slot) {
  if (upstream_) {
    upstream_->detach();
    worker_.retire(std::move(upstream_));
  }
  if (!keep_slot) release_upstream_slot();
}

// Counted when the whole answer is handed to the downstream, before it is flushed: whoever
// reads the metrics after receiving the answer sees it counted.
void Exchange::record_answer() {
  if (!downstream_.wants_answer() || recorded_) return;
  recorded_ = true;
  record_.total_us = base::micros_between(start_, base::monotonic_now());
  worker_.metrics().record_exchange(record_);
  if (ops::AccessLog* log = running_->access_log.get()) {
    record_.referer = request_.headers.get("referer");
    record_.user_agent = request_.headers.get("user-agent");
    log->write(record_);
  }
}

}  // namespace etagd::proxy
