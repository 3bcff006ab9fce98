// RAII owners for libevent objects and file descriptors, so no path forgets to free one.
#pragma once

#include <event2/buffer.h>
#include <event2/event.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <utility>

namespace etagd::proxy {

struct EventBaseFree {
  void operator()(event_base* b) const { event_base_free(b); }
};
struct EventFree {
  void operator()(event* e) const { event_free(e); }
};
struct EvbufferFree {
  void operator()(evbuffer* b) const { evbuffer_free(b); }
};

using EventBasePtr = std::unique_ptr<event_base, EventBaseFree>;
using EventPtr = std::unique_ptr<event, EventFree>;
using EvbufferPtr = std::unique_ptr<evbuffer, EvbufferFree>;

inline EvbufferPtr make_evbuffer() { return EvbufferPtr(evbuffer_new()); }

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A one-shot timer on an event_base that calls `cb(arg)`. Re-arming replaces the deadline.
class Timer {
 public:
  Timer(event_base* base, void (*cb)(void*), void* arg)
      : cb_(cb), arg_(arg), ev_(evtimer_new(base, &Timer::fire, this)) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void arm(const timeval& after) { evtimer_add(ev_.get(), &after); }
  void arm(std::chrono::milliseconds after) {
    timeval tv{static_cast<time_t>(after.count() / 1000),
               static_cast<suseconds_t>((after.count() % 1000) * 1000)};
    evtimer_add(ev_.get(), &tv);
  }
  void cancel() { evtimer_del(ev_.get()); }
  bool pending() const { return evtimer_pending(ev_.get(), nullptr) != 0; }

 private:
  static void fire(evutil_socket_t, short, void* self) {
    auto* t = static_cast<Timer*>(self);
    t->cb_(t->arg_);
  }
  void (*cb_)(void*);
  void* arg_;
  EventPtr ev_;
};

}  // namespace etagd::proxy
