#include "ops/systemd_notify.h"

#include <event2/event.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

namespace etagd::ops {
namespace {

bool notify(const std::string& state) { return sd_notify(0, state.c_str()) > 0; }

std::string status_line(std::string_view status) {
  std::string line = "STATUS=";
  for (char c : status) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return line;
}

}  // namespace

bool notify_ready(std::string_view status) { return notify("READY=1\n" + status_line(status)); }

bool notify_reloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1'000'000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
  return notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool notify_stopping() { return notify("STOPPING=1"); }

bool notify_watchdog() { return notify("WATCHDOG=1"); }

bool notify_status(std::string_view status) { return notify(status_line(status)); }

std::chrono::microseconds watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(usec);
}

void Watchdog::EventFree::operator()(event* e) const { event_free(e); }

Watchdog::Watchdog(event_base* base, std::chrono::microseconds interval,
                   std::function<bool()> all_workers_alive)
    : interval_(interval),
      all_workers_alive_(std::move(all_workers_alive)),
      timer_(event_new(base, -1, EV_PERSIST, &Watchdog::on_tick, this)) {}

Watchdog::~Watchdog() = default;

void Watchdog::start() {
  if (interval_.count() <= 0) return;
  // Half the period, as sd_watchdog_enabled(3) recommends, so one late tick is not fatal.
  auto half = interval_.count() / 2;
  timeval period{static_cast<time_t>(half / 1'000'000), static_cast<suseconds_t>(half % 1'000'000)};
  event_add(timer_.get(), &period);
  tick();
}

void Watchdog::stop() { event_del(timer_.get()); }

void Watchdog::on_tick(int, short, void* self) { static_cast<Watchdog*>(self)->tick(); }

void Watchdog::tick() {
  if (all_workers_alive_()) {
    notify_watchdog();
    ++pets_;
    if (failing_) spdlog::info("watchdog: every worker is alive again");
    failing_ = false;
    return;
  }
  ++misses_;
  if (!failing_) spdlog::warn("watchdog: a worker loop is not responding; not petting systemd");
  failing_ = true;
}

std::vector<int> listen_fds() {
  std::vector<int> fds;
  int n = sd_listen_fds(1);
  for (int i = 0; i < n; ++i) {
    int fd = SD_LISTEN_FDS_START + i;
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0) fds.push_back(fd);
  }
  return fds;
}

}  // namespace etagd::ops
