#include "fleet/outbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

namespace etagd::fleet {

Outbox::Outbox(size_t capacity)
    : capacity_(capacity), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Outbox::~Outbox() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool Outbox::push(std::string message) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    was_empty = queue_.empty();
    queue_.push_back(std::move(message));
  }
  // While the queue is non-empty the fleet thread already knows there is work (it drains
  // whenever Redis lets it), so only the first message of a batch pays for the syscall.
  if (was_empty) wake();
  return true;
}

std::vector<std::string> Outbox::take(size_t max) {
  std::vector<std::string> batch;
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = std::min(max, queue_.size());
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

void Outbox::wake() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Outbox::clear_wake() {
  if (wake_fd_ < 0) return;
  uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof count);
}

size_t Outbox::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace etagd::fleet
