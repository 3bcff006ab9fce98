#include "fleet/fleet_channel.h"

#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <random>

#include "base/clock.h"
#include "base/event_handles.h"
#include "base/timer.h"
#include "fleet/apply_message.h"
#include "fleet/backoff.h"
#include "fleet/redis_session.h"

namespace etagd::fleet {

namespace {

using base::EventBasePtr;
using base::EventPtr;
using base::to_timeval;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             base::monotonic_now().time_since_epoch())
      .count();
}

std::string make_sender(const std::string& instance_id) {
  std::random_device rd;
  char nonce[9];
  std::snprintf(nonce, sizeof nonce, "%08x", static_cast<unsigned>(rd()));
  return (instance_id.empty() ? std::string("etagd") : instance_id) + "#" + nonce;
}

std::string_view instance_part(std::string_view sender) {
  size_t hash = sender.rfind('#');
  return hash == std::string_view::npos ? sender : sender.substr(0, hash);
}

}  // namespace

// Everything below runs on the fleet thread, except construction, init() and destruction,
// which happen while that thread does not run.
class FleetChannel::Loop final : public RedisSession::Observer {
 public:
  explicit Loop(FleetChannel& owner);
  ~Loop() override;
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  base::Status init();
  void run();

  // RedisSession::Observer
  void on_subscribed() override;
  void on_publisher_ready() override;
  void on_message(std::string_view payload) override;
  void on_published(bool accepted) override;
  void on_lost(std::string reason) override;

 private:
  static void on_wake(evutil_socket_t, short, void* self);
  static void on_reconnect_due(evutil_socket_t, short, void* self);
  static void on_connect_deadline(evutil_socket_t, short, void* self);
  static void on_heartbeat_due(evutil_socket_t, short, void* self);
  static void on_teardown(evutil_socket_t, short, void* self);
  static void on_drain_deadline(evutil_socket_t, short, void* self);
  static void on_finish(evutil_socket_t, short, void* self);

  void connect();
  // The current session is unusable: distrust hits at once, replace the session soon.
  void lose(std::string_view reason);
  void flush();
  bool send(const std::string& payload);
  void session_check_complete();
  // Stopping: publish what is still queued while the session is up, for a bounded time.
  void begin_drain();
  void finish_if_drained();
  void request_finish();

  FleetChannel& owner_;
  RedisEndpoint endpoint_;
  Backoff backoff_;

  EventBasePtr base_;
  EventPtr wake_ev_;
  EventPtr reconnect_ev_;
  EventPtr deadline_ev_;
  EventPtr heartbeat_ev_;
  EventPtr teardown_ev_;
  EventPtr drain_deadline_ev_;
  EventPtr finish_ev_;
  std::unique_ptr<RedisSession> session_;  // freed before the events and the base

  bool stopping_ = false;         // the loop is ending: no more sends, no reconnects
  bool draining_ = false;         // stop() was called: flushing the outbox first
  bool tearing_down_ = false;     // teardown_ev_ is active
  size_t in_flight_ = 0;          // publishes sent, not yet acknowledged
  bool owe_all_ = false;          // messages were lost: publish `all` before anything else
  uint64_t drops_announced_ = 0;  // outbox drops already covered by an `all`
  bool ever_subscribed_ = false;
  bool warned_duplicate_id_ = false;
  int64_t last_heartbeat_ms_ = 0;  // when our own heartbeat last came back
  uint64_t heartbeat_seq_ = 0;
  int64_t outage_since_ms_ = 0;  // not subscribed since (0: subscribed)
  uint64_t outage_attempts_ = 0;
};

FleetChannel::Loop::Loop(FleetChannel& owner)
    : owner_(owner),
      endpoint_{owner.config_.redis_host, owner.config_.redis_port, owner.config_.channel,
                "etagd:" + owner.config_.instance_id},
      backoff_(owner.config_.reconnect_min, owner.config_.reconnect_max) {}

FleetChannel::Loop::~Loop() {
  stopping_ = true;
  session_.reset();
}

base::Status FleetChannel::Loop::init() {
  base_.reset(event_base_new());
  if (!base_) return base::Status::error("cannot create the fleet event loop");
  event_base* b = base_.get();
  wake_ev_.reset(event_new(b, owner_.outbox_.wake_fd(), EV_READ | EV_PERSIST, &on_wake, this));
  reconnect_ev_.reset(evtimer_new(b, &on_reconnect_due, this));
  deadline_ev_.reset(evtimer_new(b, &on_connect_deadline, this));
  heartbeat_ev_.reset(event_new(b, -1, EV_PERSIST, &on_heartbeat_due, this));
  teardown_ev_.reset(event_new(b, -1, 0, &on_teardown, this));
  drain_deadline_ev_.reset(evtimer_new(b, &on_drain_deadline, this));
  finish_ev_.reset(event_new(b, -1, 0, &on_finish, this));
  if (!wake_ev_ || !reconnect_ev_ || !deadline_ev_ || !heartbeat_ev_ || !teardown_ev_ ||
      !drain_deadline_ev_ || !finish_ev_) {
    return base::Status::error("cannot create the fleet loop's events");
  }
  timeval beat = to_timeval(owner_.tuning_.heartbeat_interval);
  event_add(wake_ev_.get(), nullptr);
  event_add(heartbeat_ev_.get(), &beat);
  return base::Status::ok();
}

void FleetChannel::Loop::run() {
  outage_since_ms_ = steady_ms();
  connect();
  event_base_dispatch(base_.get());
  stopping_ = true;
  session_.reset();
}

void FleetChannel::Loop::connect() {
  ++outage_attempts_;
  session_ = std::make_unique<RedisSession>(base_.get(), endpoint_, *this);
  if (base::Status s = session_->open(); !s) {
    lose(s.message());
    return;
  }
  timeval deadline = to_timeval(owner_.tuning_.connect_timeout);
  evtimer_add(deadline_ev_.get(), &deadline);
}

void FleetChannel::Loop::lose(std::string_view reason) {
  if (tearing_down_ || stopping_) return;
  if (draining_) {
    owner_.subscribed_.store(false, std::memory_order_release);
    spdlog::debug("fleet: {} while stopping", reason);
    request_finish();
    return;
  }
  tearing_down_ = true;
  bool was_subscribed = owner_.subscribed_.exchange(false, std::memory_order_acq_rel);
  if (was_subscribed) {
    outage_since_ms_ = steady_ms();
    outage_attempts_ = 0;
    if (owner_.max_staleness_ == std::chrono::seconds(0)) {
      spdlog::warn("fleet: {}; every cache hit is revalidated upstream until resubscribed", reason);
    } else {
      spdlog::warn("fleet: {}; cache hits older than {}s are revalidated until resubscribed",
                   reason, owner_.max_staleness_.count());
    }
  } else if (outage_attempts_ == 1) {
    spdlog::warn("fleet: {}; retrying every {}..{} ms", reason,
                 owner_.config_.reconnect_min.count(), owner_.config_.reconnect_max.count());
  } else {
    spdlog::debug("fleet: attempt {}: {}", outage_attempts_, reason);
  }
  // Not now: hiredis may be on the stack, and it frees the context after we return.
  event_active(teardown_ev_.get(), 0, 0);
}

// Not a plain deferred delete (base/graveyard.h): freeing the session reports its unanswered
// publishes back to us (on_published(false)), and only after that may the in-flight count be
// reset and the next connection scheduled, in this order.
void FleetChannel::Loop::on_teardown(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<Loop*>(self);
  loop->tearing_down_ = false;
  loop->session_.reset();
  loop->in_flight_ = 0;
  evtimer_del(loop->deadline_ev_.get());
  if (loop->stopping_) return;
  timeval delay = to_timeval(loop->backoff_.next());
  evtimer_add(loop->reconnect_ev_.get(), &delay);
}

void FleetChannel::Loop::on_reconnect_due(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<Loop*>(self);
  if (!loop->draining_) loop->connect();
}

void FleetChannel::Loop::on_connect_deadline(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<Loop*>(self);
  loop->lose("no subscription within " +
             std::to_string(loop->owner_.tuning_.connect_timeout.count()) +
             " ms of connecting to redis " + loop->endpoint_.host + ":" +
             std::to_string(loop->endpoint_.port));
}

void FleetChannel::Loop::session_check_complete() {
  if (session_ && session_->subscribed() && session_->publisher_ready()) {
    evtimer_del(deadline_ev_.get());
  }
}

void FleetChannel::Loop::on_subscribed() {
  // Order matters (hit_gate.h): the cache is marked stale before hits are trusted again, so
  // nothing stored or validated while messages could be missed is served as fresh.
  owner_.cache_.mark_all_stale();
  int64_t now = steady_ms();
  last_heartbeat_ms_ = now;
  if (ever_subscribed_) {
    owner_.gaps_.fetch_add(1, std::memory_order_relaxed);
    spdlog::info(
        "fleet: resubscribed to {} on redis {}:{} after {} ms and {} attempt(s); every cached "
        "entry will be revalidated before its next use",
        endpoint_.channel, endpoint_.host, endpoint_.port, now - outage_since_ms_,
        outage_attempts_);
  } else {
    spdlog::info("fleet: subscribed to {} on redis {}:{} as {}", endpoint_.channel, endpoint_.host,
                 endpoint_.port, owner_.sender_);
  }
  ever_subscribed_ = true;
  outage_since_ms_ = 0;
  outage_attempts_ = 0;
  backoff_.reset();
  owner_.subscribed_.store(true, std::memory_order_release);
  session_check_complete();
  flush();
}

void FleetChannel::Loop::on_publisher_ready() {
  session_check_complete();
  flush();
}

void FleetChannel::Loop::on_message(std::string_view payload) {
  std::optional<Message> message = decode(payload);
  if (!message) {
    owner_.malformed_.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("fleet: ignored a message that is not etagd1 ({} bytes)", payload.size());
    return;
  }
  if (!warned_duplicate_id_ && message->sender != owner_.sender_ &&
      instance_part(message->sender) == instance_part(owner_.sender_)) {
    warned_duplicate_id_ = true;
    spdlog::warn("fleet: another instance uses instance_id \"{}\" ({}); give each its own",
                 instance_part(owner_.sender_), message->sender);
  }
  switch (apply_message(*message, owner_.sender_, owner_.cache_)) {
    case Inbound::Applied:
      owner_.applied_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Inbound::OwnHeartbeat:
      last_heartbeat_ms_ = steady_ms();
      break;
    case Inbound::OwnMessage:
    case Inbound::PeerHeartbeat:
      break;
  }
}

void FleetChannel::Loop::on_published(bool accepted) {
  if (in_flight_ > 0) --in_flight_;
  if (accepted) {
    owner_.sent_.fetch_add(1, std::memory_order_relaxed);
  } else {
    owner_.lost_in_flight_.fetch_add(1, std::memory_order_relaxed);
    owe_all_ = true;
  }
  flush();
  finish_if_drained();
}

void FleetChannel::Loop::on_lost(std::string reason) { lose(reason); }

bool FleetChannel::Loop::send(const std::string& payload) {
  if (!session_->publish(payload, /*heartbeat=*/false)) return false;
  ++in_flight_;
  return true;
}

void FleetChannel::Loop::flush() {
  // Messages leave the outbox only while the whole session is up: one that cannot be sent
  // now waits for the next session instead of being handed to a connection that is dying.
  if (stopping_ || tearing_down_ || !session_ || !session_->publisher_ready() ||
      !session_->subscribed()) {
    return;
  }
  const size_t max = owner_.tuning_.max_in_flight;
  uint64_t dropped = owner_.outbox_.dropped();
  if (dropped != drops_announced_) {
    spdlog::warn(
        "fleet: {} invalidation(s) could not be queued (outbox full); telling the "
        "other instances to revalidate everything",
        dropped - drops_announced_);
    drops_announced_ = dropped;
    owe_all_ = true;
  }
  if (owe_all_) {
    if (in_flight_ >= max) return;
    if (!send(encode(Message{owner_.sender_, MessageKind::All, {}}))) return;
    owe_all_ = false;
  }
  while (in_flight_ < max) {
    std::vector<std::string> batch = owner_.outbox_.take(max - in_flight_);
    if (batch.empty()) break;
    for (const std::string& payload : batch) {
      if (!send(payload)) {
        owner_.lost_in_flight_.fetch_add(1, std::memory_order_relaxed);
        owe_all_ = true;
      }
    }
  }
}

void FleetChannel::Loop::on_wake(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<Loop*>(self);
  loop->owner_.outbox_.clear_wake();
  if (loop->owner_.stopping_.load(std::memory_order_acquire) && !loop->draining_) {
    loop->begin_drain();
    return;
  }
  loop->flush();
}

void FleetChannel::Loop::begin_drain() {
  // Workers are stopped by now (the channel outlives them): what is queued is all there is.
  // An invalidation made just before shutdown should still reach the fleet.
  draining_ = true;
  flush();
  finish_if_drained();
  timeval limit = to_timeval(owner_.tuning_.stop_flush_timeout);
  evtimer_add(drain_deadline_ev_.get(), &limit);
}

void FleetChannel::Loop::finish_if_drained() {
  if (!draining_) return;
  bool can_send = !tearing_down_ && session_ && session_->subscribed() && session_->publisher_ready();
  bool queued = owner_.outbox_.size() > 0 || owe_all_;
  if (in_flight_ == 0 && (!queued || !can_send)) request_finish();
}

void FleetChannel::Loop::request_finish() {
  // Deferred: this may run inside a hiredis callback, and the session must not be freed there.
  event_active(finish_ev_.get(), 0, 0);
}

void FleetChannel::Loop::on_drain_deadline(evutil_socket_t, short, void* self) {
  static_cast<Loop*>(self)->request_finish();
}

void FleetChannel::Loop::on_finish(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<Loop*>(self);
  size_t unsent = loop->owner_.outbox_.size() + loop->in_flight_;
  if (unsent > 0) {
    spdlog::warn("fleet: stopping with {} invalidation(s) not confirmed by Redis", unsent);
  }
  loop->stopping_ = true;
  loop->session_.reset();
  event_base_loopbreak(loop->base_.get());
}

void FleetChannel::Loop::on_heartbeat_due(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<Loop*>(self);
  if (loop->draining_ || loop->tearing_down_ || !loop->session_ || !loop->session_->subscribed()) {
    return;
  }
  int64_t silent_ms = steady_ms() - loop->last_heartbeat_ms_;
  if (silent_ms > loop->owner_.tuning_.heartbeat_timeout.count()) {
    loop->lose("no heartbeat came back through Redis for " + std::to_string(silent_ms) + " ms");
    return;
  }
  if (loop->session_->publisher_ready()) {
    Message beat{loop->owner_.sender_, MessageKind::Heartbeat,
                 std::to_string(++loop->heartbeat_seq_)};
    loop->session_->publish(encode(beat), /*heartbeat=*/true);
  }
}

FleetChannel::FleetChannel(const config::FleetConfig& config, cache::CacheStore& cache,
                           FleetTuning tuning)
    : config_(config),
      tuning_(tuning),
      cache_(cache),
      sender_(make_sender(config.instance_id)),
      max_staleness_(std::chrono::floor<std::chrono::seconds>(config.max_staleness)),
      outbox_(tuning.outbox_capacity) {}

FleetChannel::~FleetChannel() { stop(); }

base::Status FleetChannel::start() {
  if (thread_.joinable()) return base::Status::ok();
  if (!outbox_.valid()) return base::Status::error("cannot create the fleet outbox's eventfd");
  auto loop = std::make_unique<Loop>(*this);
  if (base::Status s = loop->init(); !s) return s;
  loop_ = std::move(loop);
  thread_ = std::thread([this] {
    // Signals belong to the main thread's loop; a blocked SIGPIPE also keeps a write to a
    // closed Redis socket an EPIPE instead of a signal.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    loop_->run();
  });
  spdlog::info("fleet: instance {} uses channel {} on redis {}:{}", sender_, config_.channel,
               config_.redis_host, config_.redis_port);
  return base::Status::ok();
}

void FleetChannel::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  outbox_.wake();
  thread_.join();
  loop_.reset();
  subscribed_.store(false, std::memory_order_release);
}

void FleetChannel::publish(MessageKind kind, std::string_view value) {
  outbox_.push(encode(Message{sender_, kind, std::string(value)}));
}

void FleetChannel::publish_url(std::string_view url_key) { publish(MessageKind::Url, url_key); }

void FleetChannel::publish_target(std::string_view target) {
  publish(MessageKind::Target, target);
}

void FleetChannel::publish_prefix(std::string_view path_prefix, cache::PrefixMatch match) {
  publish(match == cache::PrefixMatch::Bytes ? MessageKind::Prefix : MessageKind::Path,
          path_prefix);
}

FleetStatus FleetChannel::status() const {
  FleetStatus s;
  s.connected = subscribed();
  s.sent = sent_.load(std::memory_order_relaxed);
  s.applied = applied_.load(std::memory_order_relaxed);
  s.dropped = outbox_.dropped() + lost_in_flight_.load(std::memory_order_relaxed);
  s.gaps = gaps_.load(std::memory_order_relaxed);
  s.malformed = malformed_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace etagd::fleet
