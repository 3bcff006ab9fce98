#include "proxy/health_probes.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/unique_fd.h"
#include "config/size_and_duration.h"
#include "proxy/server_choice.h"
#include "proxy/server_health.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"

namespace etagd::proxy {

namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on `fd` until `deadline`; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (int rounds = 0; rounds < 1000; ++rounds) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
  return false;
}

}  // namespace

base::Status probe_server(const UpstreamServer& server, const config::HealthCheckConfig& check) {
  const Clock::time_point deadline = Clock::now() + check.timeout;
  base::UniqueFd fd(::socket(server.address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return base::Status::error(std::strerror(errno));
  }
  if (::connect(fd.get(), server.address.get(), server.address.length) != 0 &&
      errno != EINPROGRESS) {
    return base::Status::error(std::string("connect: ") + std::strerror(errno));
  }
  if (!wait_for(fd.get(), POLLOUT, deadline)) {
    return base::Status::error("connect timed out");
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    return base::Status::error(std::string("connect: ") + std::strerror(err != 0 ? err : errno));
  }
  std::string request = "GET " + server.base_path + check.path + " HTTP/1.1\r\nHost: " +
                        server.authority +
                        "\r\nUser-Agent: etagd-health-check\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd.get(), POLLOUT, deadline)) {
        return base::Status::error("send timed out");
      }
    } else {
      return base::Status::error(std::string("send: ") + std::strerror(errno));
    }
  }
  // The status line is all a probe needs: "HTTP/1.1 200 ...".
  std::string got;
  while (got.find("\r\n") == std::string::npos && got.size() < 256) {
    if (!wait_for(fd.get(), POLLIN, deadline)) {
      return base::Status::error("no answer within the timeout");
    }
    char buf[256];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n > 0) {
      got.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EAGAIN && errno != EINTR) {
      return base::Status::error(std::string("recv: ") + std::strerror(errno));
    }
  }
  if (got.size() < 12 || got.compare(0, 7, "HTTP/1.") != 0 || got[8] != ' ') {
    return base::Status::error("no HTTP status line");
  }
  char klass = got[9];
  if (klass != '2' && klass != '3') {
    return base::Status::error("answered " + got.substr(9, 3));
  }
  return base::Status::ok();
}

void HealthProbes::serve_waiters(const RunningConfig& rc) {
  // serve_waiting takes no lock while nobody waits: the common case costs one atomic load.
  Worker::wake_granted(shared_.upstream_slots().serve_waiting(
      rc.servers, choice_for(rc.config->upstream)));
}

HealthProbes::HealthProbes(SharedState& shared) : shared_(shared), thread_([this] { run(); }) {}

HealthProbes::~HealthProbes() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool HealthProbes::pause(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
  return !stopping_;
}

void HealthProbes::run() {
  // Bounded by stop: pause() returns false once the destructor asks.
  for (int64_t sleep_ms = 0; pause(sleep_ms);) {
    sleep_ms = 200;  // with the check off, look again soon: a reload may switch it on
    std::shared_ptr<const RunningConfig> rc = shared_.running_config();
    const config::HealthCheckConfig& check = rc->config->upstream.health_check;
    for (auto it = streaks_.begin(); it != streaks_.end();) {
      bool listed = false;
      for (const RunningServer& s : rc->servers) listed = listed || s.server == it->first;
      it = listed ? std::next(it) : streaks_.erase(it);
    }
    if (!check.enabled) {
      for (const RunningServer& s : rc->servers) {
        s.server->probe_up.store(true, std::memory_order_relaxed);
      }
      streaks_.clear();
      serve_waiters(*rc);
      continue;
    }
    auto round_start = Clock::now();
    for (const RunningServer& s : rc->servers) {
      base::Status probe = probe_server(*s.server, check);
      int change = record_probe(*s.server, check, probe.is_ok(), streaks_[s.server],
                                health_clock_ms());
      if (change < 0) {
        spdlog::warn("upstream {}: down, {} health checks in a row failed (last: {})",
                     s.server->url, check.fails, probe.message());
      } else if (change > 0) {
        spdlog::info("upstream {}: up again, {} health checks in a row passed", s.server->url,
                     check.passes);
        serve_waiters(*rc);  // now, not after probing the other servers
      }
    }
    serve_waiters(*rc);
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - round_start);
    sleep_ms = std::max<int64_t>(0, (check.interval - spent).count());
  }
}

}  // namespace etagd::proxy
