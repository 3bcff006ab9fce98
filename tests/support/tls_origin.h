// TlsOrigin: an https origin for tests. It terminates TLS (OpenSSL, its own code: the tests do
// not trust src/) on a free loopback port and relays the plaintext to a backend port, usually a
// ScriptedOrigin, so every scripted behaviour is available over https too:
//
//   TestCertificates pki;
//   ScriptedOrigin backend;
//   TlsOrigin origin(backend.port(), {pki.good()});
//   ... etagd's upstream is https://127.0.0.1:<origin.port()> with ca_file: pki.ca()
//
// It counts completed handshakes and how many of them resumed a session (TLS 1.3 tickets are
// on, as OpenSSL's defaults have them). With `client_ca` it demands a client certificate
// issued by that CA (mutual TLS).
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/test_certificates.h"

namespace etagd::testing {

class TlsOrigin {
 public:
  struct Options {
    CertificatePair certificate;
    std::string client_ca;  // "": no client certificate asked for
  };

  TlsOrigin(uint16_t backend_port, Options options);
  ~TlsOrigin();
  TlsOrigin(const TlsOrigin&) = delete;
  TlsOrigin& operator=(const TlsOrigin&) = delete;

  uint16_t port() const { return port_; }
  size_t handshakes() const { return handshakes_.load(); }  // completed ones
  size_t resumed() const { return resumed_.load(); }        // of those, resumed sessions
  size_t failed_handshakes() const { return failed_.load(); }

 private:
  void accept_loop();
  void serve(int fd);

  uint16_t backend_port_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> handshakes_{0};
  std::atomic<size_t> resumed_{0};
  std::atomic<size_t> failed_{0};
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

}  // namespace etagd::testing
