#include "support/socket_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace etagd::testing {
namespace {

constexpr milliseconds kCancelCheckInterval{50};
constexpr size_t kReadChunk = 64 * 1024;

bool is_reset_errno(int e) { return e == ECONNRESET || e == EPIPE || e == ECONNABORTED; }

}  // namespace

const char* describe(IoStatus status) {
  switch (status) {
    case IoStatus::ok: return "ok";
    case IoStatus::timeout: return "timed out";
    case IoStatus::closed: return "connection closed by peer";
    case IoStatus::reset: return "connection reset by peer";
    case IoStatus::too_large: return "too large";
    case IoStatus::malformed: return "malformed message";
    case IoStatus::cancelled: return "cancelled";
    case IoStatus::error: return "socket error";
  }
  return "?";
}

SocketStream::SocketStream(SocketStream&& other) noexcept
    : fd_(other.fd_),
      buffer_(std::move(other.buffer_)),
      start_(other.start_),
      cancel_(other.cancel_) {
  other.fd_ = -1;
  other.start_ = 0;
}

SocketStream& SocketStream::operator=(SocketStream&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    buffer_ = std::move(other.buffer_);
    start_ = other.start_;
    cancel_ = other.cancel_;
    other.fd_ = -1;
    other.start_ = 0;
  }
  return *this;
}

void SocketStream::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SocketStream::reset() {
  if (fd_ < 0) return;
  linger lg{};
  lg.l_onoff = 1;
  lg.l_linger = 0;
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close();
}

void SocketStream::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::string SocketStream::take_buffered() {
  std::string out = buffer_.substr(start_);
  buffer_.clear();
  start_ = 0;
  return out;
}

void SocketStream::consume(size_t n, std::string& out) {
  out.append(buffer_, start_, n);
  start_ += n;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > kReadChunk) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
}

IoStatus SocketStream::wait_for(short events, Deadline deadline) {
  if (fd_ < 0) return IoStatus::error;
  for (;;) {
    if (cancel_ && cancel_->load()) return IoStatus::cancelled;
    auto now = Clock::now();
    if (now >= deadline) return IoStatus::timeout;
    auto left = std::chrono::ceil<milliseconds>(deadline - now);
    if (cancel_) left = std::min(left, kCancelCheckInterval);
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoStatus::error;
    }
    if (n > 0) return IoStatus::ok;  // readiness includes POLLHUP/POLLERR: the I/O call tells
  }
}

IoStatus SocketStream::fill(Deadline deadline) {
  for (;;) {
    IoStatus s = wait_for(POLLIN, deadline);
    if (s != IoStatus::ok) return s;
    char chunk[kReadChunk];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return IoStatus::ok;
    }
    if (n == 0) return IoStatus::closed;
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    return is_reset_errno(errno) ? IoStatus::reset : IoStatus::error;
  }
}

IoStatus SocketStream::read_until(std::string_view delimiter, size_t max_bytes, Deadline deadline,
                                  std::string& out) {
  out.clear();
  size_t searched = 0;  // bytes of buffered() already known not to start the delimiter
  for (;;) {
    std::string_view have = buffered();
    size_t pos = have.find(delimiter, searched);
    if (pos != std::string_view::npos) {
      if (pos > max_bytes) return IoStatus::too_large;
      consume(pos + delimiter.size(), out);
      return IoStatus::ok;
    }
    if (have.size() > max_bytes + delimiter.size()) return IoStatus::too_large;
    searched = have.size() >= delimiter.size() ? have.size() - delimiter.size() + 1 : 0;
    IoStatus s = fill(deadline);
    if (s != IoStatus::ok) return s;
  }
}

IoStatus SocketStream::read_exact(size_t n, Deadline deadline, std::string& out) {
  for (;;) {
    size_t take = std::min(n, buffered().size());
    consume(take, out);
    n -= take;
    if (n == 0) return IoStatus::ok;
    IoStatus s = fill(deadline);
    if (s != IoStatus::ok) return s;
  }
}

IoStatus SocketStream::read_to_eof(size_t max_bytes, Deadline deadline, std::string& out) {
  size_t appended = 0;
  for (;;) {
    size_t take = buffered().size();
    appended += take;
    consume(take, out);
    if (appended > max_bytes) return IoStatus::too_large;
    IoStatus s = fill(deadline);
    if (s == IoStatus::closed) return IoStatus::ok;
    if (s != IoStatus::ok) return s;
  }
}

IoStatus SocketStream::wait_closed(Deadline deadline) {
  for (;;) {
    IoStatus s = fill(deadline);
    if (s != IoStatus::ok) return s;
  }
}

IoStatus SocketStream::write_all(std::string_view bytes, Deadline deadline) {
  while (!bytes.empty()) {
    if (fd_ < 0) return IoStatus::error;
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      IoStatus s = wait_for(POLLOUT, deadline);
      if (s != IoStatus::ok) return s;
      continue;
    }
    return (n < 0 && is_reset_errno(errno)) ? IoStatus::reset : IoStatus::error;
  }
  return IoStatus::ok;
}

int connect_tcp(const std::string& host, uint16_t port, Deadline deadline, std::string* error) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string numeric = host == "localhost" ? "127.0.0.1" : host;
  if (numeric.size() > 2 && numeric.front() == '[' && numeric.back() == ']') {
    numeric = numeric.substr(1, numeric.size() - 2);
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, numeric.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, numeric.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    if (error) *error = "not a numeric address: " + host;
    return -1;
  }

  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    if (error) *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto fail = [&](const std::string& why) {
    if (error) *error = "connect " + host + ":" + std::to_string(port) + ": " + why;
    ::close(fd);
    return -1;
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    if (errno != EINPROGRESS) return fail(std::strerror(errno));
    for (;;) {
      auto now = Clock::now();
      if (now >= deadline) return fail("timed out");
      pollfd p{fd, POLLOUT, 0};
      int left = static_cast<int>(std::chrono::ceil<milliseconds>(deadline - now).count());
      int n = ::poll(&p, 1, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(std::strerror(errno));
      if (n == 0) continue;
      int so_error = 0;
      socklen_t so_len = sizeof so_error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
      if (so_error != 0) return fail(std::strerror(so_error));
      break;
    }
  }
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

bool accepts_connections(const std::string& host, uint16_t port, milliseconds timeout) {
  int fd = connect_tcp(host, port, deadline_after(timeout), nullptr);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace etagd::testing
