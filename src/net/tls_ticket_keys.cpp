#include "net/tls_ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace etagd::net {

namespace {

// Key names start with this, then the period's number (8 bytes, big-endian).
constexpr unsigned char kNamePrefix[8] = {'e', 't', 'a', 'g', 'd', 't', 'k', '1'};

int keys_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

TlsTicketKeys::TlsTicketKeys(std::chrono::seconds period, std::function<int64_t()> now)
    : period_s_(period.count() > 0 ? period.count() : 1), now_(std::move(now)) {
  // From the kernel rather than RAND_bytes: every etagd makes these keys at start, TLS or not,
  // and the first RAND_bytes loads OpenSSL's providers and random generator, which leaves
  // 3 MiB of libcrypto resident in a daemon that may never speak TLS.
  size_t filled = 0;
  while (filled < sizeof secret_) {
    ssize_t n = getrandom(secret_ + filled, sizeof secret_ - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("no randomness for TLS session ticket keys");
    filled += static_cast<size_t>(n);
  }
}

void TlsTicketKeys::install(SSL_CTX* ctx) const {
  SSL_CTX_set_ex_data(ctx, keys_index(), const_cast<TlsTicketKeys*>(this));
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TlsTicketKeys::on_ticket);
}

int64_t TlsTicketKeys::current_period() const {
  int64_t now = now_ ? now_() : static_cast<int64_t>(std::time(nullptr));
  return now / period_s_;
}

void TlsTicketKeys::derive(int64_t period, unsigned char aes_key[32],
                           unsigned char mac_key[32]) const {
  unsigned char input[9];
  for (int i = 0; i < 8; ++i) input[i + 1] = static_cast<unsigned char>(period >> (56 - 8 * i));
  unsigned int len = 32;
  input[0] = 'a';
  HMAC(EVP_sha256(), secret_, sizeof secret_, input, sizeof input, aes_key, &len);
  input[0] = 'm';
  HMAC(EVP_sha256(), secret_, sizeof secret_, input, sizeof input, mac_key, &len);
}

int TlsTicketKeys::on_ticket(SSL* ssl, unsigned char key_name[16], unsigned char* iv,
                             EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  // The context the connection started with holds the keys (SNI may have switched it since).
  const auto* keys = static_cast<const TlsTicketKeys*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keys_index()));
  if (keys == nullptr) return -1;
  int64_t now_period = keys->current_period();
  int64_t period = now_period;
  if (encrypt == 0) {
    if (std::memcmp(key_name, kNamePrefix, sizeof kNamePrefix) != 0) return 0;
    period = 0;
    for (int i = 0; i < 8; ++i) period = (period << 8) | key_name[8 + i];
    // The current key, or the previous one during the hand-over; anything else: full handshake.
    if (period != now_period && period != now_period - 1) return 0;
  } else {
    std::memcpy(key_name, kNamePrefix, sizeof kNamePrefix);
    for (int i = 0; i < 8; ++i) key_name[8 + i] = static_cast<unsigned char>(period >> (56 - 8 * i));
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1) return -1;
  }
  unsigned char aes_key[32];
  unsigned char mac_key[32];
  keys->derive(period, aes_key, mac_key);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, mac_key, sizeof mac_key),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  int ok = encrypt != 0 ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, aes_key, iv)
                        : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, aes_key, iv);
  OPENSSL_cleanse(aes_key, sizeof aes_key);
  if (ok != 1 || EVP_MAC_CTX_set_params(mac, params) != 1) {
    OPENSSL_cleanse(mac_key, sizeof mac_key);
    return -1;
  }
  OPENSSL_cleanse(mac_key, sizeof mac_key);
  // 2: the ticket decrypted, but was made with last period's key: issue a new one.
  return encrypt == 0 && period != now_period ? 2 : 1;
}

}  // namespace etagd::net
