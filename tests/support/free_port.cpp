#include "support/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
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

namespace {

// The ports below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by
// default) that tests pick from: no outgoing connection is ever given one, and the suite
// makes thousands of those, each of which could otherwise take a port between free_port()
// returning it and the server under test binding it. Empty when the range starts too low to
// leave room (then the kernel's choice is used).
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
};

PortRange ports_below_ephemeral_range() {
  constexpr uint16_t kFirst = 20000;  // above most services' well-known ports
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0;
  if (!(in >> low) || low <= kFirst + 1000u) return {};
  return {kFirst, static_cast<uint16_t>(low - 1)};
}

// A port free on 127.0.0.1, and on ::1 too when `dual_stack`, checked by binding it.
uint16_t pick_port(bool dual_stack) {
  static const PortRange range = ports_below_ephemeral_range();
  // Seeded per process: test binaries running side by side draw different sequences.
  static std::mt19937 random{std::random_device{}()};
  static std::mutex random_mutex;
  constexpr int kTries = 200;
  for (int i = 0; i < kTries; ++i) {
    uint16_t candidate = 0;
    if (range.first != 0) {
      std::lock_guard<std::mutex> lock(random_mutex);
      candidate = static_cast<uint16_t>(
          std::uniform_int_distribution<unsigned>(range.first, range.last)(random));
    }
    int v4 = bind_loopback(AF_INET, candidate);
    if (v4 < 0) continue;
    uint16_t port = bound_port(v4);
    int v6 = dual_stack ? bind_loopback(AF_INET6, port) : -1;
    ::close(v4);
    if (!dual_stack) return port;
    if (v6 >= 0) {
      ::close(v6);
      return port;
    }
  }
  throw std::runtime_error(dual_stack ? "free_port_dual_stack: no port free on both 127.0.0.1 and ::1"
                                      : "free_port: no free port on 127.0.0.1");
}

}  // namespace

uint16_t free_port() { return pick_port(false); }

uint16_t free_port_dual_stack() { return pick_port(true); }

bool ipv6_loopback_available() {
  int fd = bind_loopback(AF_INET6, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace etagd::testing
