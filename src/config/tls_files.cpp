#include "config/tls_files.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

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

// OK when `path` can be opened for reading.
base::Status readable(const std::string& path) {
  if (::access(path.c_str(), R_OK) == 0) return base::Status::ok();
  return base::Status::error(concat("cannot read '", path, "': ", std::strerror(errno)));
}

CertificatePairCheck key_fault(std::string message) {
  return {base::Status::error(std::move(message)), true};
}

CertificatePairCheck certificate_fault(std::string message) {
  return {base::Status::error(std::move(message)), false};
}

}  // namespace

base::Status check_ca_file(const std::string& path) {
  if (base::Status s = readable(path); !s) return s;
  ERR_clear_error();
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), path.c_str()) != 1) {
    return base::Status::error(
        concat("'", path, "' holds no CA certificate in PEM form (", openssl_reason(), ")"));
  }
  return base::Status::ok();
}

CertificatePairCheck check_certificate_pair(const std::string& cert, const std::string& key) {
  if (base::Status s = readable(cert); !s) return {std::move(s), false};
  if (base::Status s = readable(key); !s) return {std::move(s), true};
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return certificate_fault("cannot create a TLS context");
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1) {
    return certificate_fault(
        concat("'", cert, "' is not a PEM certificate chain (", openssl_reason(), ")"));
  }
  std::unique_ptr<BIO, BioFree> key_file(BIO_new_file(key.c_str(), "r"));
  std::unique_ptr<EVP_PKEY, KeyFree> pkey(
      key_file ? PEM_read_bio_PrivateKey(key_file.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) {
    return key_fault(concat("'", key, "' is not a PEM private key (", openssl_reason(), ")"));
  }
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx.get()), pkey.get()) != 1) {
    ERR_clear_error();
    return key_fault(concat("the key '", key, "' does not belong to the certificate '", cert, "'"));
  }
  return {base::Status::ok(), false};
}

}  // namespace etagd::config
