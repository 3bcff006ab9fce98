#include "config/tls_files.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "config/concat.h"

namespace etagd::config {

namespace {

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};

std::string openssl_reason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  return reason != nullptr ? reason : "not a usable PEM file";
}

// Why `path` cannot be opened, "" when it can.
std::string unreadable(const std::string& path) {
  if (::access(path.c_str(), R_OK) == 0) return "";
  return concat("cannot read '", path, "': ", std::strerror(errno));
}

}  // namespace

std::string problem_with_ca_file(const std::string& path) {
  if (std::string p = unreadable(path); !p.empty()) return p;
  ERR_clear_error();
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), path.c_str()) != 1) {
    return concat("'", path, "' holds no CA certificate in PEM form (", openssl_reason(), ")");
  }
  return "";
}

std::string problem_with_certificate_pair(const std::string& cert, const std::string& key) {
  if (std::string p = unreadable(cert); !p.empty()) return p;
  if (std::string p = unreadable(key); !p.empty()) return p;
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return "cannot create a TLS context";
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1) {
    return concat("'", cert, "' is not a PEM certificate chain (", openssl_reason(), ")");
  }
  std::unique_ptr<BIO, BioFree> key_file(BIO_new_file(key.c_str(), "r"));
  std::unique_ptr<EVP_PKEY, KeyFree> pkey(
      key_file ? PEM_read_bio_PrivateKey(key_file.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) {
    return concat("'", key, "' is not a PEM private key (", openssl_reason(), ")");
  }
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx.get()), pkey.get()) != 1) {
    ERR_clear_error();
    return concat("the key '", key, "' does not belong to the certificate '", cert, "'");
  }
  return "";
}

}  // namespace etagd::config
