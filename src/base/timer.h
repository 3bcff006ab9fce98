// A one-shot timer on an event_base, and the conversion libevent's timeouts need.
#pragma once

#include <sys/time.h>

#include <chrono>

#include "base/event_handles.h"

namespace etagd::base {

inline timeval to_timeval(std::chrono::milliseconds d) {
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

// Calls `cb(arg)` once when it fires. Re-arming replaces the deadline; destroying it cancels.
class Timer {
 public:
  Timer(event_base* base, void (*cb)(void*), void* arg)
      : cb_(cb), arg_(arg), ev_(evtimer_new(base, &Timer::fire, this)) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void arm(const timeval& after) { evtimer_add(ev_.get(), &after); }
  void arm(std::chrono::milliseconds after) {
    timeval tv = to_timeval(after);
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

}  // namespace etagd::base
