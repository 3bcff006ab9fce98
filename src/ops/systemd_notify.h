// Talking to the service manager through libsystemd (sd_notify(3), sd_watchdog_enabled(3),
// sd_listen_fds(3)). Outside systemd (NOTIFY_SOCKET unset) every notify_* is a no-op that
// returns false, so etagd runs the same from a shell.
//
// The sequence etagd sends (systemd.service(5), Type=notify):
//   READY=1         once every worker listens
//   RELOADING=1     when a SIGHUP reload starts, then READY=1 when it is done (or rejected)
//   STOPPING=1      when SIGTERM starts the drain
//   WATCHDOG=1      every WatchdogSec/2, only while every worker loop is alive (Watchdog)
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

struct event_base;
struct event;

namespace etagd::ops {

// READY=1 with STATUS=<status> (shown by `systemctl status`; newlines become spaces).
bool notify_ready(std::string_view status);
// RELOADING=1 with MONOTONIC_USEC (which systemd >= 253 needs to match the reload).
bool notify_reloading();
bool notify_stopping();
bool notify_watchdog();
bool notify_status(std::string_view status);

// The watchdog period systemd expects (WatchdogSec=) for this process, or 0 when the
// watchdog is off.
std::chrono::microseconds watchdog_interval();

// Pets the watchdog from a timer on the main thread's loop, every interval/2, but only when
// `all_workers_alive` says so: a stuck worker then stops the heartbeat and systemd restarts
// etagd (the main loop ticking alone proves nothing about the workers).
class Watchdog {
 public:
  Watchdog(event_base* base, std::chrono::microseconds interval,
           std::function<bool()> all_workers_alive);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Arms the timer (and pets once if alive). Does nothing when interval is 0.
  void start();
  void stop();

  uint64_t pets() const { return pets_; }      // WATCHDOG=1 sent
  uint64_t misses() const { return misses_; }  // ticks skipped because a worker was not alive

 private:
  static void on_tick(int fd, short what, void* self);
  void tick();

  struct EventFree {
    void operator()(event* e) const;
  };
  std::chrono::microseconds interval_;
  std::function<bool()> all_workers_alive_;
  std::unique_ptr<event, EventFree> timer_;
  uint64_t pets_ = 0;
  uint64_t misses_ = 0;
  bool failing_ = false;
};

// Listening TCP sockets passed by systemd socket activation (a matching etagd.socket unit),
// in order; empty when there are none. Call once: it clears LISTEN_FDS from the environment.
std::vector<int> listen_fds();

}  // namespace etagd::ops
