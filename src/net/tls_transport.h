// Transport over TLS (OpenSSL 3), for https upstreams and TLS listeners.
//
// How: OpenSSL reads and writes the socket itself (SSL_set_fd), driven by etagd's own read
// and write events, like TcpTransport. Not bufferevent_openssl: a bufferevent writes only from
// its write callback (an extra epoll round per response, the reason TcpTransport exists) and
// copies every record through its own buffers. Not a memory BIO pair either: that adds a copy
// of every byte in each direction and a second buffer to bound, for nothing we need, since
// the socket is ours. With the fd given to OpenSSL a response is one SSL_write of up to 16 KiB
// (one record, one write syscall) from the output evbuffer, and a read decrypts straight into
// the input evbuffer's reserved space. Read-ahead (both contexts) makes one read() take what
// the socket holds, and reading stops when OpenSSL holds nothing more: a keep-alive request
// in one record costs one read(), not a header read, a body read and a read that finds EAGAIN.
//
// The handshake runs before anything else: for an outgoing connection after the TCP connect,
// and on_transport_connected() reports both at once (its failure_reason() says why a handshake
// failed: handshake_failure() classifies it); for an accepted one from the first readable
// event, and the handler sees input only once the handshake is done. What the owner writes
// before that waits in output() and goes when the handshake completes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/event_handles.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "net/openssl_handles.h"
#include "net/socket_address.h"
#include "net/tls_handshake_failure.h"
#include "net/tls_server_contexts.h"
#include "net/tls_session_cache.h"
#include "net/transport.h"

namespace etagd::net {

class TlsTransport final : public Transport {
 public:
  // An accepted socket and its server-side SSL (from the listener's context), or, with
  // `connecting`, a socket whose connect is under way and a client-side SSL (see connect()).
  TlsTransport(event_base* base, base::UniqueFd fd, SslPtr ssl, bool connecting = false);
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  // An accepted connection on a TLS listener; the handshake starts with the first bytes. The
  // transport holds `contexts` (SNI may switch to any of them) for as long as it lives.
  static std::unique_ptr<TlsTransport> accept(event_base* base, base::UniqueFd fd,
                                              std::shared_ptr<const TlsServerContexts> contexts);

  // A non-blocking connect to `to`, then a TLS handshake with `ctx` that sends `server_name`
  // as SNI (unless it is an IP address, RFC 6066 §3) and, when `ctx` verifies, checks the
  // certificate against that name or address. `sessions` offers a session to resume and keeps
  // the ones the server sends. on_transport_connected() reports the outcome.
  static base::Status connect(event_base* base, const SocketAddress& to, const SharedSslCtx& ctx,
                              const std::string& server_name,
                              std::shared_ptr<TlsSessionCache> sessions,
                              std::unique_ptr<TlsTransport>& out);

  void set_handler(TransportHandler& handler) override { handler_ = &handler; }
  evbuffer* input() const override { return input_.get(); }
  evbuffer* output() const override { return output_.get(); }
  void set_reading(bool on) override;
  bool flush() override;
  void await_writable() override;
  void shutdown_write() override;
  void abort_on_close() override;
  bool eof() const override { return eof_; }
  int error() const override { return error_; }
  const std::string& failure_reason() const override { return failure_reason_; }
  std::string_view alpn_protocol() const override {
    const unsigned char* name = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl_.get(), &name, &length);
    return {reinterpret_cast<const char*>(name), length};
  }
  void set_read_size(int bytes) override { read_size_ = bytes; }

  // How an accepted connection's handshake ended. Incomplete: the client had sent some of its
  // handshake when the connection closed (it left, or etagd closed it at client_header). A
  // connection closed before its first byte (a TCP health check) made no handshake and is not
  // reported.
    // UnknownCa, Expired and CertificateRejected: the client refused etagd's certificate with
  // that alert (RFC 8446 §6.2): its chain does not lead to a CA the client trusts, it has
  // expired, or another reason (bad_certificate, certificate_unknown - a name that does not
  // match -, unsupported_certificate, certificate_revoked).
  enum class AcceptedHandshake : uint8_t {
    Full, Resumed, Protocol, PlainHttp, Incomplete, UnknownCa, Expired, CertificateRejected
  };
  using HandshakeObserver = void (*)(void* context, AcceptedHandshake outcome);
  // Accepted connections: `observer` hears how the handshake ended, once (from the event
  // loop, or from the destructor for an incomplete one).
  void observe_handshake(HandshakeObserver observer, void* context) {
    observer_ = observer;
    observer_context_ = context;
  }

  bool handshake_done() const { return phase_ == Phase::Open; }
  // Whether the handshake resumed a session (no certificate exchange).
  bool resumed() const { return resumed_; }
  // Why the handshake failed, or None. Also set when the peer's first records after the
  // handshake are an alert (a TLS 1.3 server refusing our client certificate).
  TlsHandshakeFailure handshake_failure() const { return handshake_failure_; }
  SSL* ssl() const { return ssl_.get(); }

 private:
  enum class Phase { Connecting, Handshaking, Open, Failed };

  static void on_read(evutil_socket_t, short, void* self);
  static void on_write(evutil_socket_t, short, void* self);
  void handshake();
  void handshake_failed(std::string reason, TlsHandshakeFailure failure);
  bool handshake_begun() const;
  // How a failed accepted handshake counts, from SSL_get_error's `ssl_error` and the queue.
  void report_failed_accept(int ssl_error);
  void report_handshake(AcceptedHandshake outcome);
  void read_records();
  bool write_records();
  void update_events();

  base::UniqueFd fd_;
  std::shared_ptr<TlsSessionCache> sessions_;  // before ssl_: the SSL points at it
  std::shared_ptr<const TlsServerContexts> server_contexts_;  // likewise
  SslPtr ssl_;
  TransportHandler* handler_ = nullptr;
  HandshakeObserver observer_ = nullptr;  // cleared once it has heard
  void* observer_context_ = nullptr;
  base::EvbufferPtr input_;
  base::EvbufferPtr output_;
  base::EventPtr read_ev_;
  base::EventPtr write_ev_;
  Phase phase_;
  bool client_;
  bool reading_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool wants_drain_report_ = false;  // await_writable() was asked
  bool handshake_wants_write_ = false;
  bool read_wants_write_ = false;   // SSL_read needs the socket writable (a key update reply)
  bool write_wants_read_ = false;   // SSL_write needs the socket readable
  bool write_blocked_ = false;      // the last SSL_write found the socket full
  size_t pending_write_ = 0;        // bytes of an SSL_write to repeat with the same length
  bool eof_ = false;
  bool resumed_ = false;
  bool received_data_ = false;
  TlsHandshakeFailure handshake_failure_ = TlsHandshakeFailure::None;
  int error_ = 0;
  int read_size_ = 16 * 1024;
  std::string failure_reason_;
};

}  // namespace etagd::net
