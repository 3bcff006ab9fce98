// TlsClient: a blocking HTTPS client for tests, one TLS connection per object (OpenSSL, its own
// code: the tests do not trust src/). It says what the handshake chose (protocol version,
// ALPN, the certificate's subject, whether a session was resumed) and reads keep-alive
// responses framed by Content-Length, the way etagd frames the answers these tests get.
//
//   TlsClient c(port, {.server_name = "localhost", .ca_file = pki.ca()});
//   HttpResponse r = c.get("/x");
//   CHECK(c.peer_common_name() == "localhost");
//
// A failed handshake throws TlsHandshakeError with OpenSSL's reason; every wait is bounded by
// the timeout.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/header_fields.h"
#include "support/http_client.h"

namespace etagd::testing {

class TlsHandshakeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TlsClientOptions {
  std::string server_name;         // sent as SNI and verified; "" = no SNI
  std::string ca_file;             // "" = the peer's certificate is not verified
  int min_version = 0;             // e.g. TLS1_1_VERSION; 0 = OpenSSL's default
  int max_version = 0;
  SSL_SESSION* session = nullptr;  // offered for resumption (not taken over)
  std::chrono::milliseconds timeout{5000};
};

class TlsClient {
 public:
  TlsClient(uint16_t port, TlsClientOptions options);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // One request on the connection; throws HttpError if no complete response arrives.
  HttpResponse get(std::string_view target, const HeaderFields& headers = {});

  std::string protocol() const;          // "TLSv1.3"
  std::string alpn() const;              // "http/1.1", or "" when none was chosen
  std::string peer_common_name() const;  // CN of the certificate the server chose
  bool resumed() const;
  // The session to offer on a later connection (the caller frees it with SSL_SESSION_free).
  SSL_SESSION* take_session() const;

 private:
  void release();  // frees the connection, the session state and the context
  std::string read_some();

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffered_;
  std::chrono::milliseconds timeout_;
};

}  // namespace etagd::testing
