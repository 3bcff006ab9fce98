// Transport over a plain TCP socket.
//
// etagd does not use bufferevents: a bufferevent writes only from its write callback, so every
// response costs an extra epoll_ctl/epoll_wait round trip. A TcpTransport writes at once when
// flushed (one writev) and arms the write event only when the kernel buffer is full; it reads
// straight into reserved buffer space (evbuffer_read would ask the kernel how much is readable
// first: a third syscall per request on the hit path).
#pragma once

#include <sys/types.h>

#include <memory>

#include "base/event_handles.h"
#include "base/unique_fd.h"
#include "net/socket_address.h"
#include "net/transport.h"

namespace etagd::net {

class TcpTransport final : public Transport {
 public:
  // An accepted (or otherwise connected) socket.
  TcpTransport(event_base* base, base::UniqueFd fd);
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // A non-blocking connect to `to` (TCP_NODELAY set); on_transport_connected() reports the
  // outcome. A failure that is known at once (no socket, refused on the spot) is returned.
  static base::Status connect(event_base* base, const SocketAddress& to,
                              std::unique_ptr<TcpTransport>& out);

  void set_handler(TransportHandler& handler) override { handler_ = &handler; }
  evbuffer* input() const override { return input_.get(); }
  evbuffer* output() const override { return output_.get(); }
  void set_reading(bool on) override;
  bool flush() override;
  void await_writable() override { arm_write(true); }
  void shutdown_write() override;
  void abort_on_close() override;
  bool eof() const override { return eof_; }
  int error() const override { return error_; }
  const std::string& failure_reason() const override { return failure_reason_; }
  void set_read_size(int bytes) override { read_size_ = bytes; }

 private:
  static void on_read(evutil_socket_t, short, void* self);
  static void on_write(evutil_socket_t, short, void* self);
  void arm_write(bool on);
  ssize_t read_into_input();
  void finish_connect();

  base::UniqueFd fd_;
  TransportHandler* handler_ = nullptr;
  base::EvbufferPtr input_;
  base::EvbufferPtr output_;
  base::EventPtr read_ev_;
  base::EventPtr write_ev_;
  bool reading_ = false;
  bool write_armed_ = false;
  bool connecting_ = false;
  bool eof_ = false;
  int error_ = 0;
  int read_size_ = 16 * 1024;
  std::string failure_reason_;
};

}  // namespace etagd::net
