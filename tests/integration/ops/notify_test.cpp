// etagd speaks sd_notify(3) to whoever set NOTIFY_SOCKET: here, the test itself.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/scripted_origin.h"
#include "support/temp_dir.h"

using namespace etagd::testing;
using namespace std::chrono_literals;

namespace {

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() {
    close(fd_);
    unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

  // Reads datagrams until one contains `needle`, or the deadline passes.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::string msg(buf, static_cast<size_t>(n));
      received_ += msg + "\n";
      if (msg.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  const std::string& received() const { return received_; }

 private:
  std::string path_;
  int fd_;
  std::string received_;
};

}  // namespace

TEST_CASE("etagd sends READY=1 once listening, then WATCHDOG=1 while its workers run") {
  ScriptedOrigin origin;
  TempDir dir;
  NotifySocket notify(dir.file("notify.sock").string());
  uint16_t port = free_port();
  EtagdProcess::Options opts;
  // WatchdogSec=2s: etagd pets every second.
  opts.env = {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=2000000"};
  std::string yaml = basic_config(port, origin.port());
  yaml.replace(yaml.find("workers: 1"), 10, "workers: 2");
  EtagdProcess etagd(yaml, port, opts);
  CHECK(notify.wait_for("READY=1", 5000ms));
  CHECK(notify.wait_for("WATCHDOG=1", 3000ms));
  CHECK(notify.wait_for("WATCHDOG=1", 3000ms));
  INFO(notify.received());
}

TEST_CASE("a reload is announced with RELOADING=1 then READY=1, and SIGTERM with STOPPING=1") {
  ScriptedOrigin origin;
  TempDir dir;
  NotifySocket notify(dir.file("notify.sock").string());
  uint16_t port = free_port();
  EtagdProcess::Options opts;
  opts.env = {"NOTIFY_SOCKET=" + notify.path()};
  EtagdProcess etagd(basic_config(port, origin.port()), port, opts);
  REQUIRE(notify.wait_for("READY=1", 5000ms));
  etagd.signal(SIGHUP);
  CHECK(notify.wait_for("RELOADING=1", 3000ms));
  CHECK(notify.wait_for("READY=1", 3000ms));
  etagd.signal(SIGTERM);
  CHECK(notify.wait_for("STOPPING=1", 3000ms));
  auto exit = etagd.wait_exit(5000ms);
  REQUIRE(exit.has_value());
  CHECK(exit->success());
}
