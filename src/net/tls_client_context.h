// The TLS context etagd's connections to an https upstream share: which CAs are trusted,
// whether the origin's certificate is verified at all, and the client certificate for mutual
// TLS. Built once per loaded configuration on the main thread (it reads files) and used by
// every worker.
#pragma once

#include <string>

#include "base/status.h"
#include "net/openssl_handles.h"

namespace etagd::net {

struct TlsClientOptions {
  std::string ca_file;      // PEM bundle; "" = the system trust store
  bool verify = true;       // false: any certificate is accepted (no CA, name or date check)
  std::string client_cert;  // PEM chain presented when the origin asks; "" = none
  std::string client_key;
};

// TLS 1.2 and 1.3 only (RFC 8996 deprecates 1.0 and 1.1), ALPN http/1.1, client sessions
// kept per worker (tls_session_cache.h). Fails with a message naming the file that could not
// be used.
base::Status make_tls_client_context(const TlsClientOptions& options, SharedSslCtx& out);

}  // namespace etagd::net
