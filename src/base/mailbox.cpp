#include "base/mailbox.h"

#include <sys/eventfd.h>

#include <cstdint>

namespace etagd::base {

Mailbox::Mailbox(event_base* base)
    : eventfd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      event_(event_new(base, eventfd_.get(), EV_READ | EV_PERSIST, &Mailbox::on_wake, this)) {
  event_add(event_.get(), nullptr);
}

Mailbox::~Mailbox() = default;

void Mailbox::post(Task task) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_empty = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  // One wake-up per batch: the worker drains the whole queue when it runs.
  if (was_empty) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(eventfd_.get(), &one, sizeof one);
  }
}

void Mailbox::on_wake(evutil_socket_t fd, short, void* self) {
  auto* box = static_cast<Mailbox*>(self);
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(fd, &count, sizeof count);
  std::vector<Task> batch;
  {
    std::lock_guard<std::mutex> lock(box->mu_);
    batch.swap(box->tasks_);
  }
  for (Task& t : batch) t();
}

}  // namespace etagd::base
