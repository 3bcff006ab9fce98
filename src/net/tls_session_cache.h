// One worker's TLS sessions for one upstream: the newest session (ticket) the origin gave us,
// offered on the next connection so that a new pooled connection resumes instead of paying a
// full handshake (RFC 8446 §2.2). One per worker, so it needs no lock; a TLS 1.3 origin sends
// its tickets after the handshake, which is why they arrive through a callback on the context
// and not when the handshake ends.
#pragma once

#include <openssl/ssl.h>

#include "net/openssl_handles.h"

namespace etagd::net {

class TlsSessionCache {
 public:
  // Makes `ctx` hand every new client session to the TlsSessionCache its connection was
  // attached to (and keep none in OpenSSL's own cache, which would be shared by all workers).
  static void install(SSL_CTX* ctx);

  // Offers the newest session on `ssl` and makes new sessions of `ssl` come here. The cache
  // must outlive `ssl` (the transport holds it).
  void attach(SSL* ssl);

  void store(SslSessionPtr session) { latest_ = std::move(session); }
  void clear() { latest_.reset(); }
  bool empty() const { return latest_ == nullptr; }

 private:
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  SslSessionPtr latest_;
};

}  // namespace etagd::net
