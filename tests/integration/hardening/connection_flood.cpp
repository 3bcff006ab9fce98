#include "connection_flood.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace etagd::testing {

namespace {

std::string error_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

ConnectionFlood::ConnectionFlood(uint16_t port, size_t count, std::chrono::milliseconds timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connections_.resize(count);
  try {
    for (Connection& c : connections_) {
      c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (c.fd < 0) throw std::runtime_error(error_text("socket"));
      c.opened = Clock::now();
      if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
          errno != EINPROGRESS) {
        throw std::runtime_error(error_text("connect"));
      }
    }
    // Wait until every handshake has completed (writable), bounded.
    auto deadline = Clock::now() + timeout;
    std::vector<pollfd> pending;
    for (size_t i = 0; i < connections_.size(); ++i) {
      pending.push_back({connections_[i].fd, POLLOUT, 0});
    }
    while (!pending.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) throw std::runtime_error("connections not established in time");
      int n = ::poll(pending.data(), pending.size(), static_cast<int>(left.count()));
      if (n < 0 && errno != EINTR) throw std::runtime_error(error_text("poll"));
      std::vector<pollfd> still;
      for (const pollfd& p : pending) {
        if (p.revents == 0) {
          still.push_back({p.fd, POLLOUT, 0});
          continue;
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          errno = err;
          throw std::runtime_error(error_text("connect"));
        }
      }
      pending.swap(still);
    }
  } catch (...) {
    close(0, connections_.size());
    throw;
  }
}

ConnectionFlood::~ConnectionFlood() { close(0, connections_.size()); }

void ConnectionFlood::send(size_t from, size_t to, std::string_view bytes) {
  for (size_t i = from; i < to && i < connections_.size(); ++i) {
    Connection& c = connections_[i];
    if (c.fd < 0) continue;
    ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(bytes.size())) {
      throw std::runtime_error("send on connection " + std::to_string(i) + " did not complete");
    }
    c.sent = Clock::now();
  }
}

void ConnectionFlood::pump_once(std::chrono::milliseconds wait) {
  std::vector<pollfd> fds;
  std::vector<size_t> index;
  for (size_t i = 0; i < connections_.size(); ++i) {
    if (connections_[i].fd < 0) continue;
    fds.push_back({connections_[i].fd, POLLIN, 0});
    index.push_back(i);
  }
  if (fds.empty()) return;
  int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
  if (n <= 0) return;
  char buf[16384];
  for (size_t k = 0; k < fds.size(); ++k) {
    if (fds[k].revents == 0) continue;
    Connection& c = connections_[index[k]];
    for (;;) {
      ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got > 0) {
        if (!c.first_byte) c.first_byte = Clock::now();
        c.received.append(buf, static_cast<size_t>(got));
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (got < 0 && errno == EINTR) continue;
      // 0: FIN; < 0: RST or another error. Either way the server ended it.
      c.closed = Clock::now();
      ::close(c.fd);
      c.fd = -1;
      break;
    }
  }
}

bool ConnectionFlood::pump_until(const std::function<bool()>& done,
                                 std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    pump_once(std::chrono::milliseconds(20));
  }
  return true;
}

size_t ConnectionFlood::closed_count(size_t from, size_t to) const {
  size_t n = 0;
  for (size_t i = from; i < to && i < connections_.size(); ++i) {
    if (connections_[i].closed) ++n;
  }
  return n;
}

void ConnectionFlood::close(size_t from, size_t to) {
  for (size_t i = from; i < to && i < connections_.size(); ++i) {
    if (connections_[i].fd >= 0) {
      ::close(connections_[i].fd);
      connections_[i].fd = -1;
    }
  }
}

bool holds_complete_response(std::string_view bytes) {
  size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) return false;
  std::string_view head = bytes.substr(0, end + 2);
  constexpr std::string_view kName = "\r\ncontent-length:";
  size_t at = std::string_view::npos;
  for (size_t i = 0; i + kName.size() <= head.size(); ++i) {
    bool same = true;
    for (size_t j = 0; j < kName.size() && same; ++j) {
      same = std::tolower(static_cast<unsigned char>(head[i + j])) == kName[j];
    }
    if (same) {
      at = i + kName.size();
      break;
    }
  }
  if (at == std::string_view::npos) return true;  // no body announced
  size_t length = std::stoul(std::string(head.substr(at, head.find("\r\n", at) - at)));
  return bytes.size() >= end + 4 + length;
}

}  // namespace etagd::testing
