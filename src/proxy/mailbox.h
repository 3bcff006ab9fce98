// Tasks posted to a worker from other threads (coalescing wake-ups, drain, reload notices).
// An eventfd wakes the worker's loop; nothing outside the worker touches its event_base, so
// libevent runs without its internal locks (no evthread_use_pthreads on the hot path).
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "proxy/event_handles.h"

namespace etagd::proxy {

class Mailbox {
 public:
  using Task = std::function<void()>;

  explicit Mailbox(event_base* base);
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Thread-safe. The task runs on the worker's thread, in order of posting.
  void post(Task task);

 private:
  static void on_wake(evutil_socket_t fd, short, void* self);

  UniqueFd eventfd_;
  EventPtr event_;
  std::mutex mu_;
  std::vector<Task> tasks_;
};

}  // namespace etagd::proxy
