// What a connection reads and writes through, whatever carries the bytes: plain TCP
// (tcp_transport.h) or TLS (tls_transport.h). The HTTP layers (the client connection, the upstream
// connection) see only this interface, so a TLS listener or an https upstream changes which
// Transport they are given and nothing else.
//
// A Transport is a non-blocking byte stream with an input and an output evbuffer. Reading is
// switched on and off by the owner (back-pressure); writes happen when the owner flushes, and
// whatever the kernel does not take at once is written from the write event later. For an
// outgoing connection the transport first connects (and, for TLS, handshakes) and reports the
// outcome once.
#pragma once

#include <event2/buffer.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace etagd::net {

class TransportHandler {
 public:
  // New bytes are in input(), or eof()/error() became set.
  virtual void on_transport_readable() = 0;
  // The write event made progress; output_length() tells how much is left (0 = all sent).
  virtual void on_transport_wrote() = 0;
  // A write failed (peer reset, EPIPE): the transport is unusable.
  virtual void on_transport_write_error(int err) = 0;
  // An outgoing connection is established (ok) or could not be (failure_reason() says why).
  virtual void on_transport_connected(bool ok) = 0;

 protected:
  ~TransportHandler() = default;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // The handler gets every callback from now on; set once by the owner before reading.
  virtual void set_handler(TransportHandler& handler) = 0;

  virtual evbuffer* input() const = 0;
  virtual evbuffer* output() const = 0;
  size_t output_length() const { return evbuffer_get_length(output()); }

  virtual void set_reading(bool on) = 0;
  // Writes as much of output() as the peer takes now; the rest goes from the write event.
  // False if the write failed; the owner then gives up on the transport.
  virtual bool flush() = 0;
  // Reports on_transport_wrote() once the peer can take more (used to learn of a drain).
  virtual void await_writable() = 0;
  // Ends our direction of the stream once output() is sent (TCP FIN; TLS close_notify too).
  virtual void shutdown_write() = 0;
  // Ends the connection with a reset rather than an orderly close when it is destroyed.
  virtual void abort_on_close() = 0;

  virtual bool eof() const = 0;
  virtual int error() const = 0;
  // Why the connection could not be established (on_transport_connected(false)).
  virtual const std::string& failure_reason() const = 0;
  // Max bytes taken per read event.
  virtual void set_read_size(int bytes) = 0;
  // The application protocol ALPN agreed on (RFC 7301 §3.2): "h2", "http/1.1"; empty
  // without TLS or when the client offered none.
  virtual std::string_view alpn_protocol() const { return {}; }
};

}  // namespace etagd::net
