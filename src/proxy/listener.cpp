#include "proxy/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "proxy/running_config.h"

namespace etagd::proxy {

UniqueFd open_listen_socket(const config::ListenAddress& address, std::string& error) {
  SocketAddress addr;
  error = resolve_address(address.host, address.port, addr);
  if (!error.empty()) return UniqueFd();
  UniqueFd fd(socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    error = std::string("socket: ") + std::strerror(errno);
    return UniqueFd();
  }
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // "[::]:80" means IPv6 only; list "0.0.0.0:80" too for IPv4 (explicit, as nginx does).
  if (addr.family() == AF_INET6) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd.get(), addr.get(), addr.length) != 0) {
    error = "bind " + address.text + ": " + std::strerror(errno);
    return UniqueFd();
  }
  if (listen(fd.get(), SOMAXCONN) != 0) {
    error = "listen " + address.text + ": " + std::strerror(errno);
    return UniqueFd();
  }
  return fd;
}

Listener::Listener(event_base* base, UniqueFd fd, AcceptFn on_accept)
    : fd_(std::move(fd)),
      on_accept_(std::move(on_accept)),
      event_(event_new(base, fd_.get(), EV_READ | EV_PERSIST, &Listener::on_readable, this)) {}

void Listener::set_accepting(bool on) {
  if (on == accepting_ || !fd_.valid()) return;
  accepting_ = on;
  if (on) {
    event_add(event_.get(), nullptr);
  } else {
    event_del(event_.get());
  }
}

void Listener::close() {
  set_accepting(false);
  fd_.reset();
}

void Listener::on_readable(evutil_socket_t fd, short, void* self) {
  auto* l = static_cast<Listener*>(self);
  // Accept a bounded batch per wake-up so one busy listener cannot starve the loop.
  for (int i = 0; i < 64 && l->accepting_; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int c = accept4(fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      // EAGAIN: queue empty. EMFILE/ENFILE/ENOBUFS: try again on the next wake-up.
      return;
    }
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    l->on_accept_(UniqueFd(c), reinterpret_cast<const sockaddr*>(&peer));
  }
}

}  // namespace etagd::proxy
