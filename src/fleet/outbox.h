// Invalidations waiting to be published: workers push, the fleet thread takes.
//
// A worker must never wait for Redis, so push() takes a mutex for a deque push and nothing
// else, and refuses (counting a drop) when `capacity` messages are already waiting: Redis
// down for long, or a burst faster than Redis takes it. The fleet thread notices drops and
// publishes an `all` message once it can (fleet_channel.h), so a dropped invalidation costs
// the other instances a revalidation of everything, never a stale hit.
//
// An eventfd wakes the fleet thread's loop when the queue goes from empty to non-empty; one
// wake-up serves a whole batch.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace etagd::fleet {

class Outbox {
 public:
  explicit Outbox(size_t capacity);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // False if the eventfd could not be created (out of descriptors).
  bool valid() const { return wake_fd_ >= 0; }

  // Thread-safe, never blocks on I/O. False, and the message is dropped and counted, when the
  // queue is full.
  bool push(std::string message);
  // Removes and returns up to `max` messages, oldest first.
  std::vector<std::string> take(size_t max);

  // Readable while a wake-up is pending; the fleet thread's loop watches it.
  int wake_fd() const { return wake_fd_; }
  // Makes wake_fd() readable (also used to tell the loop to stop).
  void wake();
  // Consumes pending wake-ups.
  void clear_wake();

  size_t size() const;
  size_t capacity() const { return capacity_; }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  const size_t capacity_;
  int wake_fd_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace etagd::fleet
