#include "ops/systemd_notify.h"

#include <doctest/doctest.h>
#include <event2/event.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "unit/ops/helpers.h"

namespace etagd::ops {
namespace {

// Plays systemd's part: a datagram socket at a path, named by NOTIFY_SOCKET for the process.
class NotifySocket {
 public:
  NotifySocket() {
    std::string path = dir_.file("notify");
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    path.copy(addr.sun_path, path.size());
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~NotifySocket() {
    unsetenv("NOTIFY_SOCKET");
    close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The next datagram, or "" if none arrives within `timeout_ms`.
  std::string receive(int timeout_ms = 2000) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return "";
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  // Every datagram already waiting.
  std::vector<std::string> drain() {
    std::vector<std::string> all;
    for (std::string m = receive(0); !m.empty(); m = receive(0)) all.push_back(m);
    return all;
  }

 private:
  test::ScratchDir dir_;
  int fd_ = -1;
};

struct EventBase {
  EventBase() : base(event_base_new()) {}
  ~EventBase() { event_base_free(base); }
  EventBase(const EventBase&) = delete;
  EventBase& operator=(const EventBase&) = delete;
  void run_for(int ms) {
    timeval tv{0, ms * 1000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
  }
  event_base* base;
};

TEST_CASE("notify_ready sends READY=1 with a status line to NOTIFY_SOCKET") {
  NotifySocket systemd;
  CHECK(notify_ready("serving on 127.0.0.1:8080\nwith 2 workers"));
  CHECK(systemd.receive() == "READY=1\nSTATUS=serving on 127.0.0.1:8080 with 2 workers");
}

TEST_CASE("reloading, stopping and watchdog notifications carry their state") {
  NotifySocket systemd;
  CHECK(notify_reloading());
  std::string reloading = systemd.receive();
  CHECK(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
  CHECK(std::stoull(reloading.substr(reloading.find('=', 12) + 1)) > 0);
  CHECK(notify_stopping());
  CHECK(systemd.receive() == "STOPPING=1");
  CHECK(notify_watchdog());
  CHECK(systemd.receive() == "WATCHDOG=1");
  CHECK(notify_status("draining 3 connections"));
  CHECK(systemd.receive() == "STATUS=draining 3 connections");
}

TEST_CASE("outside systemd the notifications do nothing and report it") {
  unsetenv("NOTIFY_SOCKET");
  CHECK_FALSE(notify_ready("x"));
  CHECK_FALSE(notify_watchdog());
}

TEST_CASE("watchdog_interval is WATCHDOG_USEC when it is meant for this process") {
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  CHECK(watchdog_interval().count() == 0);
  setenv("WATCHDOG_USEC", "30000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  CHECK(watchdog_interval() == std::chrono::seconds(30));
  // Inherited from a parent: not ours to pet.
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  CHECK(watchdog_interval().count() == 0);
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
}

TEST_CASE("the Watchdog pets every half interval only while every worker is alive") {
  NotifySocket systemd;
  EventBase loop;
  bool alive = true;
  Watchdog watchdog(loop.base, std::chrono::milliseconds(40), [&] { return alive; });
  watchdog.start();  // pets at once, then every 20 ms

  loop.run_for(150);
  std::vector<std::string> first = systemd.drain();
  CHECK(first.size() >= 4);
  CHECK(first.size() == watchdog.pets());
  for (const std::string& m : first) CHECK(m == "WATCHDOG=1");

  alive = false;  // a worker is stuck: systemd must see the heartbeat stop
  loop.run_for(150);
  CHECK(systemd.drain().empty());
  CHECK(watchdog.misses() >= 4);

  alive = true;
  uint64_t pets = watchdog.pets();
  loop.run_for(100);
  CHECK(systemd.drain().size() >= 2);
  CHECK(watchdog.pets() > pets);

  watchdog.stop();
  loop.run_for(60);
  CHECK(systemd.drain().empty());
}

TEST_CASE("a Watchdog with interval 0 (WatchdogSec unset) never fires") {
  NotifySocket systemd;
  EventBase loop;
  int calls = 0;
  Watchdog watchdog(loop.base, std::chrono::microseconds(0), [&] {
    ++calls;
    return true;
  });
  watchdog.start();
  loop.run_for(50);
  CHECK(calls == 0);
  CHECK(systemd.drain().empty());
}

TEST_CASE("without socket activation listen_fds is empty") {
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_PID");
  CHECK(listen_fds().empty());
}

TEST_CASE("socket activation hands over the listening sockets systemd passed") {
  // Put a listening socket at fd 3 (SD_LISTEN_FDS_START), as systemd would.
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(s >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(s, 4) == 0);
  int saved = dup(3);  // whatever the test runner has at 3, if anything
  REQUIRE(dup2(s, 3) == 3);
  setenv("LISTEN_FDS", "1", 1);
  setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  std::vector<int> fds = listen_fds();
  CHECK(fds == std::vector<int>{3});
  CHECK(getenv("LISTEN_FDS") == nullptr);  // consumed, not inherited by children
  if (saved >= 0) {
    dup2(saved, 3);
    close(saved);
  } else {
    close(3);
  }
  close(s);
}

}  // namespace
}  // namespace etagd::ops
