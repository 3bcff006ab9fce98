#include "net/tcp_transport.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/invariant.h"
#include "net/outgoing_socket.h"

namespace etagd::net {

TcpTransport::TcpTransport(event_base* base, base::UniqueFd fd)
    : fd_(std::move(fd)),
      input_(base::make_evbuffer()),
      output_(base::make_evbuffer()),
      read_ev_(event_new(base, fd_.get(), EV_READ | EV_PERSIST, &TcpTransport::on_read, this)),
      write_ev_(event_new(base, fd_.get(), EV_WRITE | EV_PERSIST, &TcpTransport::on_write, this)) {}

TcpTransport::~TcpTransport() = default;

base::Status TcpTransport::connect(event_base* base, const SocketAddress& to,
                                   std::unique_ptr<TcpTransport>& out) {
  base::UniqueFd fd;
  if (base::Status s = start_connect(to, fd); !s) return s;
  out = std::make_unique<TcpTransport>(base, std::move(fd));
  // The connect completes when the socket becomes writable; the request waits until then, so
  // a refused connection is reported as such and not as a failed send.
  out->connecting_ = true;
  out->arm_write(true);
  return base::Status::ok();
}

void TcpTransport::finish_connect() {
  connecting_ = false;
  arm_write(false);
  int err = connect_result(fd_.get());
  if (err != 0) {
    error_ = err;
    failure_reason_ = std::strerror(err);
  }
  handler_->on_transport_connected(err == 0);
}

void TcpTransport::set_reading(bool on) {
  if (on == reading_) return;
  reading_ = on;
  if (on) {
    event_add(read_ev_.get(), nullptr);
  } else {
    event_del(read_ev_.get());
  }
}

void TcpTransport::arm_write(bool on) {
  if (on == write_armed_) return;
  write_armed_ = on;
  if (on) {
    event_add(write_ev_.get(), nullptr);
  } else {
    event_del(write_ev_.get());
  }
}

bool TcpTransport::flush() {
  ETAGD_ASSERT(!connecting_, "nothing is written before the connect completed");
  if (error_) return false;
  while (evbuffer_get_length(output_.get()) > 0) {
    int n = evbuffer_write(output_.get(), fd_.get());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      error_ = errno;
      arm_write(false);
      return false;
    }
    if (n == 0) break;
  }
  arm_write(evbuffer_get_length(output_.get()) > 0);
  return true;
}

void TcpTransport::shutdown_write() { ::shutdown(fd_.get(), SHUT_WR); }

void TcpTransport::abort_on_close() {
  linger abort{1, 0};
  setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
}

ssize_t TcpTransport::read_into_input() {
  evbuffer_iovec vec[2];
  int n_vec = evbuffer_reserve_space(input_.get(), read_size_, vec, 2);
  if (n_vec <= 0) {
    errno = ENOMEM;
    return -1;
  }
  ssize_t n;
  do {
    n = readv(fd_.get(), reinterpret_cast<iovec*>(vec), n_vec);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    evbuffer_commit_space(input_.get(), vec, 0);
    return n;
  }
  size_t left = static_cast<size_t>(n);
  for (int i = 0; i < n_vec; ++i) {
    vec[i].iov_len = std::min(vec[i].iov_len, left);
    left -= vec[i].iov_len;
  }
  evbuffer_commit_space(input_.get(), vec, n_vec);
  return n;
}

void TcpTransport::on_read(evutil_socket_t, short, void* self) {
  auto* t = static_cast<TcpTransport*>(self);
  ssize_t n = t->read_into_input();
  if (n == 0) {
    t->eof_ = true;
    t->set_reading(false);
  } else if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    t->error_ = errno;
    t->set_reading(false);
  }
  t->handler_->on_transport_readable();
}

void TcpTransport::on_write(evutil_socket_t, short, void* self) {
  auto* t = static_cast<TcpTransport*>(self);
  if (t->connecting_) {
    t->finish_connect();
    return;
  }
  if (evbuffer_get_length(t->output_.get()) == 0) {
    t->arm_write(false);
    t->handler_->on_transport_wrote();
    return;
  }
  if (!t->flush()) {
    t->handler_->on_transport_write_error(t->error_);
    return;
  }
  t->handler_->on_transport_wrote();
}

}  // namespace etagd::net
