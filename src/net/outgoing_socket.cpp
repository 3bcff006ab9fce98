#include "net/outgoing_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace etagd::net {

base::Status start_connect(const SocketAddress& to, base::UniqueFd& out) {
  base::UniqueFd fd(::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return base::Status::error(std::strerror(errno));
  int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd.get(), to.get(), to.length) != 0 && errno != EINPROGRESS) {
    return base::Status::error(std::strerror(errno));  // refused or unreachable at once
  }
  out = std::move(fd);
  return base::Status::ok();
}

int connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

}  // namespace etagd::net
