#include "support/free_port.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

namespace etagd::testing {

TEST_CASE("free ports lie below the ephemeral range, where no outgoing connection takes them") {
  unsigned low = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
  for (int i = 0; i < 20; ++i) {
    uint16_t port = free_port();
    CAPTURE(port);
    if (low > 21000) {
      CHECK(port >= 20000);
      CHECK(port < low);
    }
    int fd = bind_loopback(AF_INET, port);
    CHECK(fd >= 0);  // still free: the server under test can bind it
    if (fd >= 0) ::close(fd);
  }
}

}  // namespace etagd::testing
