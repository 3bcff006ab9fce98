#include "proxy/socket_channel.h"

#include <cerrno>

namespace etagd::proxy {

SocketChannel::SocketChannel(event_base* base, UniqueFd fd, ChannelHandler& handler)
    : fd_(std::move(fd)),
      handler_(handler),
      input_(make_evbuffer()),
      output_(make_evbuffer()),
      read_ev_(event_new(base, fd_.get(), EV_READ | EV_PERSIST, &SocketChannel::on_read, this)),
      write_ev_(event_new(base, fd_.get(), EV_WRITE | EV_PERSIST, &SocketChannel::on_write, this)) {}

SocketChannel::~SocketChannel() = default;

void SocketChannel::set_reading(bool on) {
  if (on == reading_) return;
  reading_ = on;
  if (on) {
    event_add(read_ev_.get(), nullptr);
  } else {
    event_del(read_ev_.get());
  }
}

void SocketChannel::arm_write(bool on) {
  if (on == write_armed_) return;
  write_armed_ = on;
  if (on) {
    event_add(write_ev_.get(), nullptr);
  } else {
    event_del(write_ev_.get());
  }
}

bool SocketChannel::flush() {
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

void SocketChannel::await_writable() { arm_write(true); }

void SocketChannel::on_read(evutil_socket_t, short, void* self) {
  auto* ch = static_cast<SocketChannel*>(self);
  int n = evbuffer_read(ch->input_.get(), ch->fd_.get(), ch->read_size_);
  if (n == 0) {
    ch->eof_ = true;
    ch->set_reading(false);
  } else if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    ch->error_ = errno;
    ch->set_reading(false);
  }
  ch->handler_.on_channel_readable();
}

void SocketChannel::on_write(evutil_socket_t, short, void* self) {
  auto* ch = static_cast<SocketChannel*>(self);
  if (evbuffer_get_length(ch->output_.get()) == 0) {
    ch->arm_write(false);
    ch->handler_.on_channel_wrote();
    return;
  }
  if (!ch->flush()) {
    ch->handler_.on_channel_write_error(ch->error_);
    return;
  }
  ch->handler_.on_channel_wrote();
}

}  // namespace etagd::proxy
