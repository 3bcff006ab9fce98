// Tasks posted to an event loop from other threads (coalescing wake-ups, drain, reload
// notices). An eventfd wakes the loop; nothing outside the loop's own thread touches its
// event_base, so libevent runs without its internal locks (no evthread_use_pthreads on the hot
// path).
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "base/event_handles.h"
#include "base/unique_fd.h"

namespace etagd::base {

class Mailbox {
 public:
  using Task = std::function<void()>;

  explicit Mailbox(event_base* base);
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Thread-safe. The task runs on the loop's thread, in order of posting.
  void post(Task task);

 private:
  static void on_wake(evutil_socket_t fd, short, void* self);

  UniqueFd eventfd_;
  EventPtr event_;
  std::mutex mu_;
  std::vector<Task> tasks_;
};

}  // namespace etagd::base
