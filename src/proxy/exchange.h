// One request/response exchange: the single place where etagd decides how to answer.
//
//   GET/HEAD + cache: store     cache lookup -> fresh hit: 200 or 304 from memory
//                                            -> stale/miss: coalesced fetch, store, answer
//   GET/HEAD + cache: validate  fetch, hash the body, answer 304 if If-None-Match matches
//   GET/HEAD + cache: bypass    stream through
//   any other method            stream through; a 2xx/3xx answer invalidates (RFC 9111 §4.4)
//
// Bodies that etagd must hash or store are buffered (up to cache.max_object_size, then the
// exchange falls back to streaming); everything else streams with back-pressure.
// An Exchange lives inside its ClientConnection and is destroyed through Worker::retire().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cache/cache_entry.h"
#include "cache/freshness.h"
#include "config/rule_set.h"
#include "http/cache_control.h"
#include "http/content_etag.h"
#include "http/message_head.h"
#include "ops/exchange_record.h"
#include "proxy/coalescing_lead.h"
#include "proxy/event_handles.h"
#include "proxy/response_writer.h"
#include "proxy/running_config.h"
#include "proxy/upstream_connection.h"

namespace etagd::proxy {

class ClientConnection;
class Worker;

class Exchange final : public UpstreamObserver {
 public:
  // `body` holds the complete request body (its chains are moved into the upstream request).
  // `client` is null for a background refresh (stale-while-revalidate): nobody is answered,
  // the cache is updated.
  Exchange(Worker& worker, ClientConnection* client, std::string_view client_address,
           const http::RequestHead& request, evbuffer* body);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void start();
  // Background refresh of `stale` (whose coalescing key `key` the caller already leads).
  void start_refresh(cache::EntryRef stale, std::string key);
  // The client is gone: stop everything, make no more calls to it.
  void abandon();
  // The client's output fell below the low watermark: resume streaming.
  void on_client_drained();
  // Another request finished fetching what this one waited for (request coalescing).
  void on_coalescing_done(cache::Coalescer::WakeReason reason);

  // UpstreamObserver
  void on_upstream_head(const http::ResponseHead& head) override;
  void on_upstream_body(const char* data, size_t len) override;
  void on_upstream_complete() override;
  void on_upstream_error(UpstreamError error) override;
  void on_upstream_input_drained() override;

 private:
  enum class Purpose {
    Forward,     // stream the upstream answer through (bypass, unsafe methods)
    Fetch,       // fetch a full response to hash (validate) and maybe store (store)
    Revalidate,  // conditional request for a stale stored entry (RFC 9111 §4.3.1)
  };

  void prepare();
  void serve_from_cache();
  void wait_for_leader();
  static void on_wait_timeout(void* self);
  void fetch(Purpose purpose);
  void connect_upstream(bool fresh);
  void begin_streaming(const http::ResponseHead& head, ops::CacheStatus cache_status);
  void stream_body(const char* data, size_t len);
  void commit_head();
  void fall_back_to_streaming();
  void finish_fetch();
  void finish_revalidation();
  void serve_entry(const cache::EntryRef& entry, ops::CacheStatus cache_status);
  bool request_is_not_modified(const cache::CacheEntry& entry) const;
  bool serve_stale_on_error();
  void respond_error(int status, std::string_view reason);
  void release_upstream();
  void record_answer();
  void finish(bool close_connection);
  std::string coalescing_key() const;
  ClientFieldOptions field_options(int status, std::string_view etag) const;
  cache::FreshnessPolicy freshness_policy() const;
  int64_t wall_ms() const;
  // RFC 9111 §4.2.3 request_time and response_time in whole seconds, with the response delay
  // rounded down: two whole-second clock readings would turn a 10 ms fetch across a second
  // boundary into an Age of 1 (and a 1 s ttl into an entry stale on arrival).
  std::pair<int64_t, int64_t> request_and_response_time() const;

  Worker& worker_;
  ClientConnection* client_;
  std::string_view client_address_;
  const http::RequestHead& request_;
  evbuffer* request_body_;
  std::shared_ptr<const RunningConfig> running_;
  const config::RuleActions* actions_ = nullptr;
  std::string host_;     // lowercase, without port: what rules match
  std::string url_key_;  // cache key (cache_key.h)

  bool abandoned_ = false;
  bool done_ = false;
  Purpose purpose_ = Purpose::Forward;
  http::Method upstream_method_ = http::Method::Get;
  ops::CacheStatus pass_status_ = ops::CacheStatus::Miss;  // for answers fetched upstream

  // Cache state.
  cache::EntryRef stale_;      // stored entry being revalidated, or kept for stale-if-error
  CoalescingLead lead_;        // held while this exchange is the one fetching for its key
  uint64_t waiter_id_ = 0;     // non-zero while waiting for another exchange's fetch
  bool coalesced_ = false;     // waited and was served nothing: go upstream, never wait again
  bool waited_ = false;        // waited for another request's fetch (HIT-COALESCED, counted once)
  int regroups_ = 0;           // leaders that gave up on us; bounded so waits are bounded
  std::unique_ptr<Timer> wait_timer_;

  // Upstream state.
  EvbufferPtr upstream_request_;
  std::unique_ptr<UpstreamConnection> upstream_;
  bool retried_ = false;
  int64_t request_unix_ms_ = 0;  // when the request went upstream (RFC 9111 request_time)
  uint64_t fetch_seq_ = 0;  // CacheStore::current_seq() when the request went upstream
  const http::ResponseHead* upstream_head_ = nullptr;  // valid while upstream_ is held

  // What the access log and the metrics get.
  int64_t start_us_ = 0;
  int64_t start_unix_ms_ = 0;
  int64_t upstream_start_us_ = -1;
  int64_t upstream_us_ = -1;
  int status_sent_ = 0;
  uint64_t body_bytes_ = 0;
  ops::CacheStatus cache_status_ = ops::CacheStatus::None;
  bool local_304_ = false;
  bool truncated_ = false;         // the upstream failed after the head went out
  bool fetched_with_age_ = false;  // the upstream's answer to this request carried Age
  bool recorded_ = false;
  uint64_t bytes_saved_ = 0;

  // Response state.
  bool streaming_ = false;       // the answer streams: body bytes go straight to the client
  std::string pending_head_;     // a streamed answer's head until its first bytes go out: an
                                 // upstream failure before then still gets a clean 502
  bool buffering_ = false;       // collecting the body to hash/store
  bool storable_ = false;
  bool revalidated_ = false;     // upstream answered 304 to our validators
  BodyFraming client_framing_ = BodyFraming::None;
  http::CacheControl upstream_cc_;
  std::string body_buf_;
  std::unique_ptr<http::ContentHasher> hasher_;
};

}  // namespace etagd::proxy
