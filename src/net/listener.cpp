#include "net/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "net/socket_address.h"

namespace etagd::net {

using base::Status;
using base::UniqueFd;

Status open_listen_socket(const std::string& host, uint16_t port, const std::string& text,
                          UniqueFd& out) {
  SocketAddress addr;
  if (Status s = resolve_address(host, port, addr); !s) return s;
  UniqueFd fd(socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // "[::]:80" means IPv6 only; list "0.0.0.0:80" too for IPv4 (explicit, as nginx does).
  if (addr.family() == AF_INET6) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd.get(), addr.get(), addr.length) != 0) {
    return Status::error("bind " + text + ": " + std::strerror(errno));
  }
  if (listen(fd.get(), SOMAXCONN) != 0) {
    return Status::error("listen " + text + ": " + std::strerror(errno));
  }
  out = std::move(fd);
  return Status::ok();
}

Listener::Listener(event_base* base, UniqueFd fd, AcceptFn on_accept)
    : fd_(std::move(fd)),
      on_accept_(std::move(on_accept)),
      event_(event_new(base, fd_.get(), EV_READ | EV_PERSIST, &Listener::on_readable, this)),
      resume_(base, &Listener::on_resume, this) {}

void Listener::set_accepting(bool on) {
  accepting_ = on;
  update_event();
}

void Listener::update_event() {
  bool arm = accepting_ && !out_of_resources_ && fd_.valid();
  if (arm == armed_) return;
  armed_ = arm;
  if (arm) {
    event_add(event_.get(), nullptr);
  } else {
    event_del(event_.get());
  }
}

void Listener::on_resume(void* self) {
  auto* l = static_cast<Listener*>(self);
  l->out_of_resources_ = false;
  l->update_event();
}

void Listener::close() {
  accepting_ = false;
  update_event();
  resume_.cancel();
  fd_.reset();
}

void Listener::on_readable(evutil_socket_t fd, short, void* self) {
  auto* l = static_cast<Listener*>(self);
  // Accept a bounded batch per wake-up so one busy listener cannot starve the loop.
  for (int i = 0; i < 64 && l->armed_; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int c = accept4(fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending connection stays queued and the socket stays readable: without a pause
        // the loop would spin on accept() until a descriptor frees up.
        l->out_of_resources_ = true;
        l->update_event();
        l->resume_.arm(std::chrono::milliseconds(100));
      }
      return;  // EAGAIN: the queue is empty
    }
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    l->on_accept_(UniqueFd(c), reinterpret_cast<const sockaddr*>(&peer));
  }
}

}  // namespace etagd::net
