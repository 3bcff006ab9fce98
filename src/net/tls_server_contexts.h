// The TLS side of one listener: a context per certificate, the client's SNI choosing among
// them (the first is the default, also for clients that send no name), with Mozilla's
// "intermediate" settings: TLS 1.2 and 1.3 only (RFC 8996 retires 1.0 and 1.1), ECDHE and
// DHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2, OpenSSL's TLS 1.3 suites, the client's
// cipher preference, ALPN http/1.1, session tickets under the process's rotating keys
// (tls_ticket_keys.h) and no server-side session cache.
//
// Built on the main thread from the running configuration (at start and at every reload, so
// SIGHUP picks up renewed certificate files and a changed certificate list or protocols);
// connections already open keep the contexts they started with.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/openssl_handles.h"
#include "net/tls_ticket_keys.h"

namespace etagd::net {

struct TlsServerOptions {
  struct Certificate {
    std::string cert;  // PEM chain
    std::string key;
  };
  std::vector<Certificate> certificates;  // at least one; the first is the default
  bool tls12 = true;
  bool tls13 = true;
  bool h2 = false;  // also offer h2 in ALPN (the listener speaks HTTP/2)
};

class TlsServerContexts {
 public:
  // Fails naming the file that could not be used.
  static base::Status make(const TlsServerOptions& options, const TlsTicketKeys& keys,
                           std::shared_ptr<const TlsServerContexts>& out);

  // A server-side SSL for an accepted connection, on the default context; SNI may move it.
  SslPtr new_connection() const;

  TlsServerContexts(const TlsServerContexts&) = delete;
  TlsServerContexts& operator=(const TlsServerContexts&) = delete;
  TlsServerContexts() = default;

 private:
  static int on_server_name(SSL* ssl, int* alert, void* self);
  static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_len,
                     const unsigned char* in, unsigned int in_len, void* self);

  std::vector<SslCtxPtr> contexts_;  // in the order of the certificates
  // The protocols offered, in ALPN's wire format: h2 (when on) and http/1.1.
  unsigned char alpn_[12] = {};
  unsigned int alpn_length_ = 0;
};

}  // namespace etagd::net
