// A non-blocking stream socket with an input and an output evbuffer.
//
// etagd does not use bufferevents: a bufferevent writes only from its write callback, so every
// response costs an extra epoll_ctl/epoll_wait round trip. A SocketChannel writes at once when
// flushed (one writev) and arms the write event only when the kernel buffer is full. Back-pressure
// is explicit: the owner checks output_length() against its watermarks and pauses its producer.
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "proxy/event_handles.h"

namespace etagd::proxy {

class ChannelHandler {
 public:
  // New bytes are in input(), or eof()/error() became set.
  virtual void on_channel_readable() = 0;
  // The write event made progress; output_length() tells how much is left (0 = all sent).
  virtual void on_channel_wrote() = 0;
  // A write failed (peer reset, EPIPE): the channel is unusable.
  virtual void on_channel_write_error(int err) = 0;

 protected:
  ~ChannelHandler() = default;
};

class SocketChannel {
 public:
  SocketChannel(event_base* base, UniqueFd fd, ChannelHandler& handler);
  ~SocketChannel();
  SocketChannel(const SocketChannel&) = delete;
  SocketChannel& operator=(const SocketChannel&) = delete;

  evbuffer* input() const { return input_.get(); }
  evbuffer* output() const { return output_.get(); }
  size_t output_length() const { return evbuffer_get_length(output_.get()); }
  int fd() const { return fd_.get(); }

  void set_reading(bool on);
  bool reading() const { return reading_; }
  // Writes as much of output() as the socket takes now; arms the write event for the rest.
  // Returns false if the write failed; the caller then gives up on the channel.
  bool flush();
  // Waits for the socket to become writable (non-blocking connect) and reports it through
  // on_channel_wrote().
  void await_writable();

  bool eof() const { return eof_; }
  int error() const { return error_; }
  // Max bytes taken per read event.
  void set_read_size(int bytes) { read_size_ = bytes; }

 private:
  static void on_read(evutil_socket_t, short, void* self);
  static void on_write(evutil_socket_t, short, void* self);
  void arm_write(bool on);
  ssize_t read_into_input();

  UniqueFd fd_;
  ChannelHandler& handler_;
  EvbufferPtr input_;
  EvbufferPtr output_;
  EventPtr read_ev_;
  EventPtr write_ev_;
  bool reading_ = false;
  bool write_armed_ = false;
  bool eof_ = false;
  int error_ = 0;
  int read_size_ = 16 * 1024;
};

}  // namespace etagd::proxy
