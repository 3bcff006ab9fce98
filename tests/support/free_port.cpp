#include "support/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace etagd::testing {

int bind_loopback(int family, uint16_t port, int type_flags) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (family == AF_INET) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
}

uint16_t free_port() {
  int fd = bind_loopback(AF_INET, 0);
  if (fd < 0) throw std::runtime_error(std::string("free_port: bind: ") + std::strerror(errno));
  uint16_t port = bound_port(fd);
  ::close(fd);
  return port;
}

uint16_t free_port_dual_stack() {
  constexpr int kTries = 50;
  for (int i = 0; i < kTries; ++i) {
    int v4 = bind_loopback(AF_INET, 0);
    if (v4 < 0) continue;
    uint16_t port = bound_port(v4);
    int v6 = bind_loopback(AF_INET6, port);
    ::close(v4);
    if (v6 >= 0) {
      ::close(v6);
      return port;
    }
  }
  throw std::runtime_error("free_port_dual_stack: no port free on both 127.0.0.1 and ::1");
}

bool ipv6_loopback_available() {
  int fd = bind_loopback(AF_INET6, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace etagd::testing
