#include "net/tls_client_context.h"

#include <openssl/err.h>

#include "net/tls_session_cache.h"

namespace etagd::net {

namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

}  // namespace

base::Status make_tls_client_context(const TlsClientOptions& options, SharedSslCtx& out) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return base::Status::error("cannot create a TLS context: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // An origin that closes without close_notify is common; the HTTP framing (Content-Length,
  // chunked) is what tells a complete response from a cut one (RFC 9112 §8).
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // One read() takes whatever the socket holds, not a record header and then its body.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  if (options.verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (!options.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) != 1) {
        return base::Status::error("ca_file " + options.ca_file + ": " + openssl_error());
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return base::Status::error("cannot load the system trust store: " + openssl_error());
    }
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  if (!options.client_cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), options.client_cert.c_str()) != 1) {
      return base::Status::error("client_cert " + options.client_cert + ": " + openssl_error());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), options.client_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return base::Status::error("client_key " + options.client_key + ": " + openssl_error());
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
      return base::Status::error("client_key " + options.client_key +
                                 " does not match client_cert " + options.client_cert);
    }
  }
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof kAlpn);
  TlsSessionCache::install(ctx.get());
  out = share(std::move(ctx));
  return base::Status::ok();
}

}  // namespace etagd::net
