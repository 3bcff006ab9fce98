#include "support/tls_client_hello.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <memory>
#include <stdexcept>

namespace etagd::testing {

namespace {

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

}  // namespace

std::string tls_client_hello(const std::string& server_name) {
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw std::runtime_error("cannot create a TLS context");
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl) throw std::runtime_error("cannot create a TLS connection");
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);  // the SSL owns both from here
  if (!server_name.empty()) {
    SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server_name.c_str()));
  }
  // Nothing to read yet: the handshake stops after writing the ClientHello.
  int r = SSL_connect(ssl.get());
  if (r == 1 || SSL_get_error(ssl.get(), r) != SSL_ERROR_WANT_READ) {
    throw std::runtime_error("the ClientHello was not made");
  }
  std::string hello(BIO_ctrl_pending(out), '\0');
  if (hello.empty() || BIO_read(out, hello.data(), static_cast<int>(hello.size())) !=
                           static_cast<int>(hello.size())) {
    throw std::runtime_error("the ClientHello is empty");
  }
  return hello;
}

}  // namespace etagd::testing
