#include "net/tls_transport.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "base/invariant.h"
#include "net/outgoing_socket.h"

namespace etagd::net {

namespace {

// The largest TLS record's plaintext (RFC 8446 §5.1): one SSL_write of this is one record.
constexpr size_t kMaxRecord = 16 * 1024;

bool is_ip_literal(const std::string& name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

TlsTransport::TlsTransport(event_base* base, base::UniqueFd fd, SslPtr ssl, bool connecting)
    : fd_(std::move(fd)),
      ssl_(std::move(ssl)),
      input_(base::make_evbuffer()),
      output_(base::make_evbuffer()),
      read_ev_(event_new(base, fd_.get(), EV_READ | EV_PERSIST, &TlsTransport::on_read, this)),
      write_ev_(event_new(base, fd_.get(), EV_WRITE | EV_PERSIST, &TlsTransport::on_write, this)),
      phase_(connecting ? Phase::Connecting : Phase::Handshaking),
      client_(connecting) {
  SSL_set_fd(ssl_.get(), fd_.get());  // a socket BIO that does not close the fd: fd_ does
  if (connecting) {
    SSL_set_connect_state(ssl_.get());
  } else {
    SSL_set_accept_state(ssl_.get());
  }
  update_events();
}

TlsTransport::~TlsTransport() {
  if (phase_ == Phase::Handshaking && handshake_begun()) {
    report_handshake(AcceptedHandshake::Incomplete);
  }
  // Freeing a connection that did not exchange close_notify makes OpenSSL mark its session
  // not resumable. The connections etagd drops (idle ones, close-delimited answers) ended
  // cleanly as far as HTTP goes; only one that failed at the TLS layer loses its session.
  if (phase_ == Phase::Open && error_ != EPROTO) {
    SSL_set_shutdown(ssl_.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
}

std::unique_ptr<TlsTransport> TlsTransport::accept(
    event_base* base, base::UniqueFd fd, std::shared_ptr<const TlsServerContexts> contexts) {
  SslPtr ssl = contexts->new_connection();
  if (!ssl) return nullptr;
  auto t = std::make_unique<TlsTransport>(base, std::move(fd), std::move(ssl));
  t->server_contexts_ = std::move(contexts);
  return t;
}

base::Status TlsTransport::connect(event_base* base, const SocketAddress& to,
                                   const SharedSslCtx& ctx, const std::string& server_name,
                                   std::shared_ptr<TlsSessionCache> sessions,
                                   std::unique_ptr<TlsTransport>& out) {
  base::UniqueFd fd;
  if (base::Status s = start_connect(to, fd); !s) return s;
  ERR_clear_error();
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl) return base::Status::error("cannot create a TLS connection");
  if (!server_name.empty()) {
    bool ip = is_ip_literal(server_name);
    // SNI carries host names only, never addresses (RFC 6066 §3).
    // (SSL_set_tlsext_host_name is this call behind a C cast.)
    if (!ip) {
      SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(server_name.c_str()));
    }
    if ((SSL_CTX_get_verify_mode(ctx.get()) & SSL_VERIFY_PEER) != 0) {
      // The certificate must name the host we meant (RFC 9110 §4.3.4): a DNS name against
      // its subjectAltName DNS entries, an address against its IP entries.
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str())
                   : X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), 0);
      if (set != 1) return base::Status::error("cannot verify the name " + server_name);
    }
  }
  if (sessions) sessions->attach(ssl.get());
  out = std::make_unique<TlsTransport>(base, std::move(fd), std::move(ssl), /*connecting=*/true);
  out->sessions_ = std::move(sessions);
  return base::Status::ok();
}

void TlsTransport::update_events() {
  bool want_read = false;
  bool want_write = false;
  switch (phase_) {
    case Phase::Connecting: want_write = true; break;
    case Phase::Handshaking:
      want_write = handshake_wants_write_;
      want_read = !handshake_wants_write_;
      break;
    case Phase::Open:
      want_read = (reading_ && !eof_ && error_ == 0) || write_wants_read_;
      want_write = write_blocked_ || read_wants_write_ || wants_drain_report_;
      break;
    case Phase::Failed: break;
  }
  if (want_read != read_armed_) {
    read_armed_ = want_read;
    if (want_read) {
      event_add(read_ev_.get(), nullptr);
    } else {
      event_del(read_ev_.get());
    }
  }
  if (want_write != write_armed_) {
    write_armed_ = want_write;
    if (want_write) {
      event_add(write_ev_.get(), nullptr);
    } else {
      event_del(write_ev_.get());
    }
  }
}

void TlsTransport::set_reading(bool on) {
  reading_ = on;
  update_events();
  // Decrypted bytes OpenSSL holds make no socket event: read them from the loop.
  if (on && phase_ == Phase::Open && SSL_has_pending(ssl_.get()) == 1) {
    event_active(read_ev_.get(), EV_READ, 0);
  }
}

void TlsTransport::await_writable() {
  wants_drain_report_ = true;
  update_events();
}

void TlsTransport::handshake() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    phase_ = Phase::Open;
    handshake_wants_write_ = false;
    resumed_ = SSL_session_reused(ssl_.get()) == 1;
    update_events();
    if (client_) {
      handler_->on_transport_connected(true);
      return;
    }
    report_handshake(resumed_ ? AcceptedHandshake::Resumed : AcceptedHandshake::Full);
    // What the owner wrote meanwhile goes now; a request may have come with the last flight.
    if (evbuffer_get_length(output_.get()) > 0 && !flush()) {
      handler_->on_transport_write_error(error_);
      return;
    }
    if (reading_) read_records();
    return;
  }
  int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    handshake_wants_write_ = err == SSL_ERROR_WANT_WRITE;
    update_events();
    return;
  }
  if (!client_) report_failed_accept(err);
  if (!client_ && ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST) {
    // A plain HTTP request on the TLS port: say so in plain HTTP, as nginx does, rather than
    // leave the client with a connection that just closes. One send of a short answer; a
    // client that does not take it at once gets the close alone.
    static const std::string kAnswer = [] {
      std::string_view body = "400 Bad Request: this port speaks TLS; use https://\n";
      return "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
             "Content-Length: " + std::to_string(body.size()) +
             "\r\nConnection: close\r\n\r\n" + std::string(body);
    }();
    (void)!::send(fd_.get(), kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd_.get(), SHUT_WR);
  }
  if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    int e = errno;
    handshake_failed(e != 0 ? std::string("protocol (") + std::strerror(e) + ")"
                            : "protocol (connection closed during the handshake)",
                     TlsHandshakeFailure::Protocol);
    return;
  }
  TlsHandshakeDiagnosis d = diagnose_tls_handshake(ssl_.get());
  handshake_failed(std::move(d.text), d.failure);
}

namespace {

// A client's alert about etagd's certificate, as OpenSSL reports a received alert: a reason
// code of SSL_AD_REASON_OFFSET plus the alert's number.
TlsTransport::AcceptedHandshake client_alert_outcome(int reason) {
  using Outcome = TlsTransport::AcceptedHandshake;
  switch (reason) {
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA: return Outcome::UnknownCa;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED: return Outcome::Expired;
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED: return Outcome::CertificateRejected;
    default: return Outcome::Protocol;
  }
}

}  // namespace

void TlsTransport::report_failed_accept(int ssl_error) {
  if (!handshake_begun()) {
    observer_ = nullptr;  // closed before its first byte: no handshake at all
    return;
  }
  unsigned long e = ERR_peek_error();
  if (ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST) {
    report_handshake(AcceptedHandshake::PlainHttp);
  } else if ((ssl_error == SSL_ERROR_SYSCALL && e == 0) || ssl_error == SSL_ERROR_ZERO_RETURN ||
             ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    // The client closed or reset the connection part-way. The contexts set
    // SSL_OP_IGNORE_UNEXPECTED_EOF, under which OpenSSL 3 reports a bare TCP close as if it
    // were a close_notify (SSL_ERROR_ZERO_RETURN, nothing queued); a close_notify itself
    // before the handshake is done is the client leaving too.
    report_handshake(AcceptedHandshake::Incomplete);
  } else {
    report_handshake(client_alert_outcome(ERR_GET_REASON(e)));
  }
}

bool TlsTransport::handshake_begun() const {
  // The socket BIO counts what it read: any byte of a ClientHello, even a record header.
  return BIO_number_read(SSL_get_rbio(ssl_.get())) > 0;
}

void TlsTransport::report_handshake(AcceptedHandshake outcome) {
  if (observer_ == nullptr) return;
  HandshakeObserver observer = observer_;
  observer_ = nullptr;
  observer(observer_context_, outcome);
}

void TlsTransport::handshake_failed(std::string reason, TlsHandshakeFailure failure) {
  phase_ = Phase::Failed;
  error_ = EPROTO;
  failure_reason_ = std::move(reason);
  handshake_failure_ = failure;
  update_events();
  if (client_) {
    handler_->on_transport_connected(false);
  } else {
    handler_->on_transport_readable();  // error() is set: the owner closes
  }
}

bool TlsTransport::flush() {
  if (error_ != 0) return false;
  // Before the handshake completes output() waits; handshake() sends it.
  if (phase_ != Phase::Open) return phase_ != Phase::Failed;
  write_blocked_ = false;
  write_wants_read_ = false;
  bool ok = write_records();
  update_events();
  return ok;
}

bool TlsTransport::write_records() {
  for (size_t len; (len = evbuffer_get_length(output_.get())) > 0;) {
    // A write that could not complete is repeated with the same length (SSL_write's rule);
    // ACCEPT_MOVING_WRITE_BUFFER lets its bytes sit elsewhere after the pull-up.
    size_t n = pending_write_ > 0 ? std::min(pending_write_, len) : std::min(len, kMaxRecord);
    // Gathers the head and a body that sit in separate chains into one record.
    unsigned char* data = evbuffer_pullup(output_.get(), static_cast<ssize_t>(n));
    if (data == nullptr) {
      error_ = ENOMEM;
      return false;
    }
    ERR_clear_error();
    size_t written = 0;
    int r = SSL_write_ex(ssl_.get(), data, n, &written);
    if (r == 1) {
      evbuffer_drain(output_.get(), written);
      pending_write_ = 0;
      continue;
    }
    int err = SSL_get_error(ssl_.get(), r);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
      pending_write_ = n;
      (err == SSL_ERROR_WANT_WRITE ? write_blocked_ : write_wants_read_) = true;
      return true;
    }
    error_ = err == SSL_ERROR_SYSCALL && errno != 0 ? errno : EPIPE;
    if (client_ && !received_data_) {
      // The first request met the origin's refusal of our handshake (see read_records).
      handshake_failure_ = TlsHandshakeFailure::Protocol;
      if (err == SSL_ERROR_SSL) {
        failure_reason_ = diagnose_tls_handshake(ssl_.get()).text;
      } else {
        failure_reason_ = std::string("protocol (") + std::strerror(error_) +
                          " right after the handshake: the origin refused it, e.g. for want "
                          "of a client certificate)";
      }
    }
    ERR_clear_error();
    return false;
  }
  return true;
}

void TlsTransport::read_records() {
  size_t added = 0;
  const auto budget = static_cast<size_t>(read_size_);
  while (added < budget) {
    evbuffer_iovec vec;
    size_t want = std::min(budget - added, kMaxRecord);
    if (evbuffer_reserve_space(input_.get(), static_cast<ssize_t>(want), &vec, 1) < 1) {
      error_ = ENOMEM;
      break;
    }
    ERR_clear_error();
    size_t n = 0;
    int r = SSL_read_ex(ssl_.get(), vec.iov_base, std::min(vec.iov_len, want), &n);
    if (r == 1) {
      vec.iov_len = n;
      evbuffer_commit_space(input_.get(), &vec, 1);
      added += n;
      received_data_ = true;
      // With read-ahead OpenSSL holds every byte its read() took: when none is left, another
      // SSL_read would only be a read() that finds the socket empty. Bytes that come later
      // make the read event fire again.
      if (SSL_has_pending(ssl_.get()) == 0) break;
      continue;
    }
    evbuffer_commit_space(input_.get(), &vec, 0);
    int err = SSL_get_error(ssl_.get(), r);
    if (err == SSL_ERROR_WANT_READ) break;
    if (err == SSL_ERROR_WANT_WRITE) {
      read_wants_write_ = true;
      break;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
      eof_ = true;  // close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a bare TCP close
    } else if (err == SSL_ERROR_SYSCALL) {
      if (errno != 0) {
        error_ = errno;
        if (client_ && !received_data_) {
          // A server that refuses the handshake after ours was done (TLS 1.3 client
          // certificates) closes with our request unread, so its alert is often lost to the
          // reset that close makes.
          handshake_failure_ = TlsHandshakeFailure::Protocol;
          failure_reason_ = std::string("protocol (") + std::strerror(errno) +
                            " right after the handshake: the origin refused it, e.g. for want "
                            "of a client certificate)";
        }
      } else {
        eof_ = true;
      }
    } else {
      // An alert or a bad record. Before any data it finishes the handshake's story: with
      // TLS 1.3 a server refuses a client certificate only after the client's handshake is
      // done (RFC 8446 §4.4.2.4), so the refusal arrives here.
      error_ = EPROTO;
      TlsHandshakeDiagnosis d = diagnose_tls_handshake(ssl_.get());
      failure_reason_ = std::move(d.text);
      if (!received_data_) handshake_failure_ = d.failure;
    }
    ERR_clear_error();
    break;
  }
  update_events();
  bool more = added >= budget && reading_ && SSL_has_pending(ssl_.get()) == 1;
  if (more) event_active(read_ev_.get(), EV_READ, 0);
  // Records that carried no data (a session ticket, a key update) are nothing to report: an
  // idle pooled connection would take any report for the upstream closing it.
  if (added > 0 || eof_ || error_ != 0) handler_->on_transport_readable();
}

void TlsTransport::shutdown_write() {
  if (phase_ == Phase::Open) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());  // close_notify (RFC 8446 §6.1); the peer's reply is read as EOF
    ERR_clear_error();
  }
  ::shutdown(fd_.get(), SHUT_WR);
}

void TlsTransport::abort_on_close() {
  linger abort{1, 0};
  setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
}

void TlsTransport::on_read(evutil_socket_t, short, void* self) {
  auto* t = static_cast<TlsTransport*>(self);
  switch (t->phase_) {
    case Phase::Handshaking: t->handshake(); return;
    case Phase::Connecting:
    case Phase::Failed: t->update_events(); return;
    case Phase::Open: break;
  }
  if (t->write_wants_read_) {
    if (!t->flush()) {
      t->handler_->on_transport_write_error(t->error_);
      return;
    }
  }
  if (t->reading_ && !t->eof_ && t->error_ == 0) {
    t->read_records();
  } else {
    t->update_events();
  }
}

void TlsTransport::on_write(evutil_socket_t, short, void* self) {
  auto* t = static_cast<TlsTransport*>(self);
  switch (t->phase_) {
    case Phase::Connecting: {
      int err = connect_result(t->fd_.get());
      if (err != 0) {
        t->phase_ = Phase::Failed;
        t->error_ = err;
        t->failure_reason_ = std::strerror(err);
        t->update_events();
        t->handler_->on_transport_connected(false);
        return;
      }
      t->phase_ = Phase::Handshaking;
      t->handshake();
      return;
    }
    case Phase::Handshaking: t->handshake(); return;
    case Phase::Failed: t->update_events(); return;
    case Phase::Open: break;
  }
  if (t->read_wants_write_) {
    // SSL_read could not send what it had to (a key update reply): let it try again.
    t->read_wants_write_ = false;
    event_active(t->read_ev_.get(), EV_READ, 0);
  }
  t->wants_drain_report_ = false;
  if (evbuffer_get_length(t->output_.get()) == 0) {
    t->write_blocked_ = false;
    t->update_events();
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
