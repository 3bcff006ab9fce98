#include "fleet/redis_session.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <strings.h>

#include <utility>

namespace etagd::fleet {

namespace {

std::string_view reply_string(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_STRING || r->str == nullptr) return {};
  return {r->str, r->len};
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string context_error(const redisAsyncContext* ac) {
  if (ac->c.err != 0 && ac->c.errstr[0] != '\0') return ac->c.errstr;
  return "connection closed";
}

void free_context(redisAsyncContext*& ac) {
  if (ac == nullptr) return;
  // Cleared first: callbacks run during the free must not find it.
  redisAsyncContext* doomed = std::exchange(ac, nullptr);
  redisAsyncFree(doomed);
}

}  // namespace

RedisSession::RedisSession(event_base* base, RedisEndpoint endpoint, Observer& observer)
    : base_(base), endpoint_(std::move(endpoint)), observer_(observer) {}

RedisSession::~RedisSession() {
  closing_ = true;
  free_context(sub_);
  free_context(pub_);
}

std::string RedisSession::where() const {
  return "redis " + endpoint_.host + ":" + std::to_string(endpoint_.port);
}

base::Status RedisSession::connect_one(redisAsyncContext*& out) {
  out = nullptr;
  redisAsyncContext* ac = redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port);
  if (ac == nullptr) return base::Status::error("cannot allocate a hiredis context");
  if (ac->err != 0) {
    std::string error = "cannot connect to " + where() + ": " + context_error(ac);
    redisAsyncFree(ac);
    return base::Status::error(std::move(error));
  }
  ac->data = this;
  // The kernel's keepalive notices a peer that vanished without a FIN even when nothing is
  // being sent; the heartbeat (fleet_channel.h) notices a hung Redis faster.
  redisEnableKeepAlive(&ac->c);
  if (redisLibeventAttach(ac, base_) != REDIS_OK) {
    redisAsyncFree(ac);
    return base::Status::error("cannot attach a hiredis context to the event loop");
  }
  redisAsyncSetConnectCallback(ac, &RedisSession::on_connect);
  redisAsyncSetDisconnectCallback(ac, &RedisSession::on_disconnect);
  out = ac;
  return base::Status::ok();
}

base::Status RedisSession::open() {
  // A failed open reports nothing later either: the owner already knows.
  lost_ = true;
  if (base::Status s = connect_one(sub_); !s) return s;
  if (base::Status s = connect_one(pub_); !s) return s;

  // hiredis buffers commands until the connection is up. SETNAME must precede SUBSCRIBE: a
  // subscribed connection takes no other command.
  std::string sub_name = endpoint_.client_name + ":sub";
  std::string pub_name = endpoint_.client_name + ":pub";
  const std::string& ch = endpoint_.channel;
  bool queued = redisAsyncCommand(sub_, nullptr, nullptr, "CLIENT SETNAME %b", sub_name.data(),
                                  sub_name.size()) == REDIS_OK &&
                redisAsyncCommand(sub_, &RedisSession::on_subscription_reply, this, "SUBSCRIBE %b",
                                  ch.data(), ch.size()) == REDIS_OK &&
                redisAsyncCommand(pub_, nullptr, nullptr, "CLIENT SETNAME %b", pub_name.data(),
                                  pub_name.size()) == REDIS_OK;
  if (!queued) return base::Status::error("cannot queue the SUBSCRIBE command");
  lost_ = false;
  return base::Status::ok();
}

bool RedisSession::publish(std::string_view payload, bool heartbeat) {
  if (closing_ || lost_ || !publisher_ready_ || pub_ == nullptr) return false;
  redisCallbackFn* done =
      heartbeat ? &RedisSession::on_heartbeat_reply : &RedisSession::on_publish_reply;
  const std::string& ch = endpoint_.channel;
  return redisAsyncCommand(pub_, done, this, "PUBLISH %b %b", ch.data(), ch.size(), payload.data(),
                           payload.size()) == REDIS_OK;
}

void RedisSession::forget(const redisAsyncContext* ac) {
  if (ac == sub_) sub_ = nullptr;
  if (ac == pub_) pub_ = nullptr;
}

void RedisSession::lose(std::string reason) {
  if (closing_ || lost_) return;
  lost_ = true;
  subscribed_ = false;
  publisher_ready_ = false;
  observer_.on_lost(std::move(reason));
}

void RedisSession::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisSession*>(ac->data);
  if (ac != self->sub_ && ac != self->pub_) return;
  if (status != REDIS_OK) {
    // hiredis frees this context when the callback returns.
    self->forget(ac);
    self->lose("cannot connect to " + self->where() + ": " + context_error(ac));
    return;
  }
  if (ac == self->pub_ && !self->lost_) {
    self->publisher_ready_ = true;
    self->observer_.on_publisher_ready();
  }
}

void RedisSession::on_disconnect(const redisAsyncContext* ac, int) {
  auto* self = static_cast<RedisSession*>(ac->data);
  if (ac != self->sub_ && ac != self->pub_) return;  // one we are freeing ourselves
  const char* which = ac == self->sub_ ? "subscriber" : "publisher";
  self->forget(ac);
  self->lose(std::string(which) + " connection to " + self->where() +
             " lost: " + context_error(ac));
}

void RedisSession::on_subscription_reply(redisAsyncContext* ac, void* reply, void* data) {
  auto* self = static_cast<RedisSession*>(data);
  const auto* r = static_cast<const redisReply*>(reply);
  // A null reply: the context is being freed; on_disconnect (or the destructor) handles it.
  if (r == nullptr || ac != self->sub_ || self->lost_ || self->closing_) return;
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  std::string_view type = reply_string(r->element[0]);
  std::string_view channel = reply_string(r->element[1]);
  if (channel != self->endpoint_.channel) return;
  if (iequal(type, "message")) {
    self->observer_.on_message(reply_string(r->element[2]));
  } else if (iequal(type, "subscribe")) {
    self->subscribed_ = true;
    self->observer_.on_subscribed();
  } else if (iequal(type, "unsubscribe")) {
    self->lose("Redis unsubscribed the channel");
  }
}

void RedisSession::on_publish_reply(redisAsyncContext*, void* reply, void* data) {
  auto* self = static_cast<RedisSession*>(data);
  const auto* r = static_cast<const redisReply*>(reply);
  // PUBLISH answers the number of subscribers that got the message: an integer.
  self->observer_.on_published(r != nullptr && r->type == REDIS_REPLY_INTEGER);
}

void RedisSession::on_heartbeat_reply(redisAsyncContext*, void*, void*) {
  // Whether it arrived is judged on the subscriber side, when the heartbeat comes back.
}

}  // namespace etagd::fleet
