// One request/response exchange: the single place where etagd decides how to answer.
//
//   GET/HEAD + cache: store     cache lookup -> fresh hit: 200 or 304 from memory
//                                            -> stale/miss: coalesced fetch, store, answer
//                               (range: forward: a Range miss fetches its range, and a 206 is
//                                stored as partial content, partial_entry.h)
//   GET/HEAD + cache: validate  fetch, hash the body, answer 304 if If-None-Match matches
//   GET/HEAD + cache: bypass    stream through
//   any other method            stream through; a 2xx/3xx answer invalidates (RFC 9111 §4.4)
//
// The decisions are pure functions (decide.h); an Exchange carries them out, moving through
// phases whose transitions it asserts:
//
//   Deciding ──► WaitingForLeader ──(woken)──► Deciding
//      │
//      ├──► WaitingForUpstream ──(slot)──► AwaitingHead   (over upstream.max_connections)
//      │            └──(full queue, timeout)──► Done      (stale_if_error, or 503)
//      ├──► AwaitingHead ──► Buffering ──► Done        (hash, maybe store, answer)
//      │        │    │ └───► Streaming ──► Done        (pass through; a failure mid-body
//      │        │    └─────► Refreshing ─► Done         aborts the answer)
//      │        └──(retry)─► AwaitingHead
//      └──► Done                                        (a hit, a 304, an error answer)
//   any phase ──► Abandoned                            (the downstream went away)
//
// Bodies that etagd must hash or store are buffered (up to cache.max_object_size, then the
// exchange falls back to streaming); everything else streams with back-pressure.
// An Exchange answers through a Downstream (downstream.h), which owns it and retires it
// through the worker once the answer has ended.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/event_handles.h"
#include "base/timer.h"
#include "cache/cache_entry.h"
#include "cache/coalescer.h"
#include "cache/freshness.h"
#include "config/rule_set.h"
#include "http/cache_control.h"
#include "http/content_etag.h"
#include "http/encoder.h"
#include "http/message_head.h"
#include "ops/exchange_record.h"
#include "ops/metrics.h"
#include "proxy/coalescing_lead.h"
#include "proxy/decide.h"
#include "proxy/downstream.h"
#include "proxy/range_answer.h"
#include "proxy/response_fields.h"
#include "proxy/running_config.h"
#include "proxy/upstream_connection.h"
#include "proxy/upstream_request.h"
#include "proxy/upstream_server.h"

namespace etagd::proxy {

class Worker;

class Exchange final : public UpstreamObserver {
 public:
  // `request` and `body` (the complete request body, or null) belong to the downstream and
  // outlive the exchange; the body's chains move into the upstream request.
  Exchange(Worker& worker, Downstream& downstream, const http::RequestHead& request,
           evbuffer* body);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void start();
  // Background refresh of `stale` (whose coalescing key `key` the caller already leads).
  void start_refresh(cache::EntryRef stale, std::string key);
  // The downstream is gone: stop everything, make no more calls to it.
  void abandon();
  // The downstream fell below its low watermark: resume streaming.
  void on_downstream_drained();
  // Another request finished fetching what this one waited for (request coalescing).
  void on_coalescing_done(cache::Coalescer::WakeReason reason);
  // The slot this exchange queued for is its own now (upstream_slots.h).
  void on_upstream_slot(std::shared_ptr<UpstreamServer> server);

  // UpstreamObserver
  void on_upstream_interim(const http::ResponseHead& head) override;
  void on_upstream_head(const http::ResponseHead& head) override;
  void on_upstream_body(const char* data, size_t len) override;
  void on_upstream_complete() override;
  void on_upstream_error(UpstreamError error) override;
  void on_upstream_input_drained() override;

 private:
  enum class Phase {
    Deciding,          // choosing what to do (again, after a wait)
    WaitingForLeader,  // another exchange fetches the same key
    WaitingForUpstream,  // queued for a slot of upstream.max_connections
    AwaitingHead,      // the request is upstream
    Buffering,         // collecting the body to hash and maybe store
    Streaming,         // passing the body through
    Refreshing,        // the upstream answered 304 to our revalidation
    Done,              // the answer has ended
    Abandoned,         // the downstream went away
  };
  void enter(Phase next);
  static bool allowed(Phase from, Phase to);

  void prepare();
  void decide_and_act();
  void coalesce_then_fetch(Purpose purpose);
  void wait_for_leader();
  static void on_wait_timeout(void* self);
  void fetch(Purpose purpose);
  void connect_upstream(bool fresh);
  // The request for server_: its head (base path and Host are the server's) and the body.
  void write_upstream_request();
  // A slot of upstream.max_connections: true when held (or there is no limit); false when
  // this exchange now waits in the queue or has been answered.
  bool take_upstream_slot();
  static void on_queue_timeout(void* self);
  void release_upstream_slot();
  // The origin cannot be asked now (queue full, waited too long): the stale entry where
  // stale_if_error allows it, else 503 with Retry-After.
  void answer_unavailable(std::string_view reason, ops::WorkerMetrics::Unavailable why);
  void begin_buffering(const http::ResponseHead& head, const HeadPlan& plan);
  void begin_streaming(const http::ResponseHead& head);
  void stream_body(const char* data, size_t len);
  // True when this exchange passes a read through on a bypass route that encodes: its 200s
  // are encoded as they stream (streaming_coding), its 304s relayed as relayed_304_fields.
  bool encodes_on_the_fly() const;
  // The coding a bypassed read's answer is encoded in as it streams (Identity: none, but it
  // varies on Accept-Encoding); nullopt when the rule or the response rules it out.
  std::optional<http::ContentCoding> streaming_coding(const http::ResponseHead& head) const;
  // The upstream 304's field block as the client gets it: with Vary and the ETag it holds.
  std::string relayed_304_fields(std::string_view fields, const http::ResponseHead& head) const;
  // Runs `input` (and the end of the stream, when `end`) through stream_encoder_ into
  // encoded_buf_; on a codec failure cuts the answer short and returns false.
  bool encode_streamed(std::string_view input, bool end);
  void fall_back_to_streaming();
  void finish_fetch();
  // The entry to build from the buffered response `head` (body_buf_, hasher_) as `status`:
  // the upstream's status, or 200 for the parts that have become the whole response.
  cache::ResponseToStore response_to_store(const http::ResponseHead& head, int status);
  // A 206 to a forwarded Range (partial_entry.h): stored and combined with partial_, then
  // answered.
  void finish_part();
  void finish_revalidation();
  void serve_entry(const cache::EntryRef& entry, ops::CacheStatus status);
  // A 206 or 416 for a Range request answered from `entry` (range_answer.h).
  void serve_range(const cache::EntryRef& entry, const EntryAnswer& answer,
                   const RangeAnswer& range);
  bool serve_stale_on_error();
  // `extra_fields`: more header lines ("Retry-After: 5\r\n").
  void respond_error(int status, std::string_view reason, std::string_view extra_fields = {});
  // The answer has ended (or is of no use): nothing may follow this call.
  void end_answer();
  void release_upstream();  // back to the pool (or closed if not reusable)
  // No more callbacks; closed. The slot goes too unless `keep_slot` (a retry follows).
  void drop_upstream(bool keep_slot = false);
  void record_answer();
  std::string coalescing_key() const;
  // `for_own_client`: for the answer to the client the response was fetched for, which also
  // gets the fields kept from the stored block (own_fields_); else for the block written.
  ClientFieldOptions field_options(const http::ResponseHead& head, int status,
                                   std::string_view etag, bool for_own_client = false) const;
  // When `head` sets a cookie that the stored response goes without, the Cache-Control this
  // exchange's own client gets with it (own_cache_control_).
  void keep_own_cache_control(const http::ResponseHead& head, int status, std::string_view etag);
  // The lifetime policy for a stored response of `status` (the rule's ttl for it).
  cache::FreshnessPolicy freshness_policy(int status) const;
  // The codings finish_fetch() encodes a response in (when the rule compresses it).
  std::vector<http::ContentCoding> encodings_to_make() const;
  base::WallSeconds now() const;  // cached per loop iteration
  // RFC 9111 §4.2.3 request_time and response_time in whole seconds, with the response delay
  // rounded down: two whole-second clock readings would turn a 10 ms fetch across a second
  // boundary into an Age of 1 (and a 1 s ttl into an entry stale on arrival).
  std::pair<base::WallSeconds, base::WallSeconds> request_and_response_time() const;

  Worker& worker_;
  Downstream& downstream_;
  const http::RequestHead& request_;
  evbuffer* request_body_;
  std::shared_ptr<const RunningConfig> running_;  // the config this request started with
  const config::RuleActions* actions_ = nullptr;
  std::string url_key_;  // cache key (cache_key.h)
  // Fields of the fetched response kept out of the stored entry (take_fields) that this
  // exchange's own client still gets.
  std::string own_fields_;
  // The Cache-Control lines that replace the stored ones in this client's answer, when it
  // carries the upstream's Set-Cookie: the upstream's, as for an answer etagd does not store
  // (upstream_sharing), so that no cache after etagd replays the cookie under the rule's value.
  std::optional<std::string> own_cache_control_;
  // The target sent upstream when the rule forwards the normalised query; empty: as sent.
  std::string forwarded_target_;
  Phase phase_ = Phase::Deciding;

  // What the access log and the metrics get, filled in as the exchange goes.
  ops::ExchangeRecord record_;
  base::MonoTime start_{};
  base::MonoTime upstream_start_{};
  bool recorded_ = false;

  // Cache state.
  cache::EntryRef stale_;      // stored entry being revalidated, or kept for stale-if-error
  cache::EntryRef partial_;    // the partial entry a forwarded Range's 206 may combine with
  CoalescingLead lead_;        // held while this exchange is the one fetching for its key
  uint64_t waiter_id_ = 0;     // non-zero while waiting for another exchange's fetch
  bool coalesced_ = false;     // waited and was served nothing: go upstream, never wait again
  bool waited_ = false;        // waited for another request's fetch (HIT-COALESCED, counted once)
  base::WallSeconds wait_started_{};  // when it last began to wait for a leader
  int regroups_ = 0;           // leaders that gave up on us; bounded so waits are bounded
  std::unique_ptr<base::Timer> wait_timer_;

  // Upstream state.
  Purpose purpose_ = Purpose::Forward;
  http::Method upstream_method_ = http::Method::Get;
  UpstreamRequestOptions request_options_;
  base::EvbufferPtr upstream_body_;     // the request body, taken from the downstream once
  base::EvbufferPtr upstream_request_;  // head + a copy of upstream_body_
  std::shared_ptr<UpstreamServer> server_;  // where the request goes (holds_slot_: its slot)
  const UpstreamServer* request_server_ = nullptr;  // whom upstream_request_ was written for
  std::unique_ptr<UpstreamConnection> upstream_;
  bool retried_ = false;
  bool holds_slot_ = false;   // one of upstream.max_connections is this exchange's
  uint32_t attempts_ = 1;     // servers tried, against upstream.retry.tries
  bool queued_ = false;       // in the queue for a slot (waiter_id_ names it)
  std::unique_ptr<base::Timer> queue_timer_;
  base::MonoTime queued_at_{};
  base::WallMillis request_sent_{};  // when the request went upstream (RFC 9111 request_time)
  uint64_t fetch_seq_ = 0;  // CacheStore::current_seq() when the request went upstream
  const http::ResponseHead* upstream_head_ = nullptr;  // valid while upstream_ is held
  bool fetched_with_age_ = false;  // the upstream's answer to this request carried Age

  // Response state.
  bool sends_body_ = false;  // Streaming: body bytes go to the downstream (not for HEAD...)
  bool storable_ = false;    // Buffering: store what is collected
  http::CacheControl upstream_cc_;
  std::string body_buf_;
  std::unique_ptr<http::ContentHasher> hasher_;
  std::unique_ptr<http::Encoder> stream_encoder_;  // Streaming: etagd's coding of the body
  std::string encoded_buf_;                        // its output for one piece
};

}  // namespace etagd::proxy
