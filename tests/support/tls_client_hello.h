// The first flight of a TLS client as bytes, for tests that send part of a handshake and
// stop: a real ClientHello, made by OpenSSL into a memory BIO, that no socket ever carried.
//
//   HttpClient leaving(port, 3000ms);
//   leaving.send_raw(tls_client_hello("localhost"));  // then close: a handshake cut short
#pragma once

#include <string>

namespace etagd::testing {

// A ClientHello record offering TLS 1.2 and 1.3, with `server_name` as SNI ("" = none).
std::string tls_client_hello(const std::string& server_name);

}  // namespace etagd::testing
