// The keys that encrypt TLS session tickets on every listener of the process (RFC 5077 §4,
// RFC 8446 §4.6.1), so a client resumes on whichever worker accepts its next connection, and
// across reloads. Keys rotate: the key for a period is derived from a random secret made at
// start (HMAC-SHA256 of the secret and the period's number), so every worker computes the
// same key without sharing mutable state or taking a lock. A ticket made with the previous
// period's key is still accepted (and replaced by a fresh one); older ones are refused and the
// client does a full handshake. Restarting etagd makes a new secret: old tickets then fail.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <functional>

namespace etagd::net {

class TlsTicketKeys {
 public:
  // `now` is the clock (unix seconds) the period is taken from; tests move it.
  explicit TlsTicketKeys(std::chrono::seconds period = std::chrono::hours(12),
                         std::function<int64_t()> now = {});
  TlsTicketKeys(const TlsTicketKeys&) = delete;
  TlsTicketKeys& operator=(const TlsTicketKeys&) = delete;

  // Makes `ctx` encrypt and decrypt tickets with these keys; they must outlive `ctx`.
  void install(SSL_CTX* ctx) const;

  std::chrono::seconds period() const { return std::chrono::seconds(period_s_); }

 private:
  static int on_ticket(SSL* ssl, unsigned char key_name[16], unsigned char* iv,
                       EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt);
  int64_t current_period() const;
  void derive(int64_t period, unsigned char aes_key[32], unsigned char mac_key[32]) const;

  unsigned char secret_[32];
  int64_t period_s_;
  std::function<int64_t()> now_;
};

}  // namespace etagd::net
