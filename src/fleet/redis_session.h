// One attempt at the fleet channel: two hiredis async connections to one Redis server, driven
// by the fleet thread's event_base through hiredis' libevent adapter.
//
//   subscriber  CLIENT SETNAME <name>:sub, SUBSCRIBE <channel>; then only receives
//   publisher   CLIENT SETNAME <name>:pub, then PUBLISH <channel> <payload> per message
//
// Two connections because a subscribed RESP2 connection accepts no other command. The names
// make the fleet visible in `redis-cli CLIENT LIST`.
//
// Ownership: hiredis frees a context by itself when its connection fails or closes (and tells
// us through the connect/disconnect callbacks); the session frees what is left when it is
// destroyed. A session never recovers: after on_lost() the owner destroys it, from its own
// event rather than from inside the callback (hiredis is still on the stack then), and starts
// a new one after a back-off.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

struct event_base;
struct redisAsyncContext;

namespace etagd::fleet {

struct RedisEndpoint {
  std::string host;
  uint16_t port = 6379;
  std::string channel;
  std::string client_name;  // ":sub" / ":pub" is appended
};

class RedisSession {
 public:
  // Calls arrive on the fleet thread, from inside hiredis callbacks.
  class Observer {
   public:
    virtual ~Observer() = default;
    // Redis confirmed the SUBSCRIBE: every message published from now on arrives.
    virtual void on_subscribed() = 0;
    // The publisher connection is established; publish() accepts messages.
    virtual void on_publisher_ready() = 0;
    virtual void on_message(std::string_view payload) = 0;
    // A publish() (not a heartbeat) finished: `accepted` when Redis acknowledged it; false
    // when it failed or the connection went away first (it may or may not have been sent).
    virtual void on_published(bool accepted) = 0;
    // The session is unusable. Called at most once, never from the destructor.
    virtual void on_lost(std::string reason) = 0;
  };

  RedisSession(event_base* base, RedisEndpoint endpoint, Observer& observer);
  // Frees both connections; unanswered publishes are reported to on_published(false).
  ~RedisSession();
  RedisSession(const RedisSession&) = delete;
  RedisSession& operator=(const RedisSession&) = delete;

  // Starts both connections (non-blocking, except resolving a host name). Fails, without a
  // later on_lost(), when hiredis fails at once (e.g. a refused loopback connect).
  base::Status open();

  // PUBLISH on the publisher connection. A heartbeat's completion is not reported. False when
  // the publisher is not ready or the session is lost.
  bool publish(std::string_view payload, bool heartbeat);

  bool subscribed() const { return subscribed_; }
  bool publisher_ready() const { return publisher_ready_; }

 private:
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_subscription_reply(redisAsyncContext* ac, void* reply, void* self);
  static void on_publish_reply(redisAsyncContext* ac, void* reply, void* self);
  static void on_heartbeat_reply(redisAsyncContext* ac, void* reply, void* self);

  base::Status connect_one(redisAsyncContext*& out);
  // `ac` is going away (hiredis frees it): stop pointing at it.
  void forget(const redisAsyncContext* ac);
  void lose(std::string reason);
  std::string where() const;

  event_base* base_;
  RedisEndpoint endpoint_;
  Observer& observer_;
  redisAsyncContext* sub_ = nullptr;
  redisAsyncContext* pub_ = nullptr;
  bool subscribed_ = false;
  bool publisher_ready_ = false;
  bool lost_ = false;
  bool closing_ = false;  // in the destructor: report nothing but publish completions
};

}  // namespace etagd::fleet
