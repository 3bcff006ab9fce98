#include "net/tls_server_contexts.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace etagd::net {

namespace {

// Mozilla's "intermediate" TLS 1.2 suites (ssl-config.mozilla.org, guidelines 5.7).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr const char* kGroups = "X25519:prime256v1:secp384r1";

// ALPN protocols offered, in the wire format (RFC 7301 §3.1), the preferred first.
constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

}  // namespace

base::Status TlsServerContexts::make(const TlsServerOptions& options, const TlsTicketKeys& keys,
                                     std::shared_ptr<const TlsServerContexts>& out) {
  if (options.certificates.empty()) return base::Status::error("no certificate");
  auto made = std::make_shared<TlsServerContexts>();
  // A client that chooses h2 opens with the HTTP/2 preface, which the listener recognises.
  if (options.h2) {
    std::memcpy(made->alpn_, kAlpnH2, sizeof kAlpnH2);
    made->alpn_length_ = sizeof kAlpnH2;
  }
  std::memcpy(made->alpn_ + made->alpn_length_, kAlpnHttp11, sizeof kAlpnHttp11);
  made->alpn_length_ += sizeof kAlpnHttp11;
  ERR_clear_error();
  for (const TlsServerOptions::Certificate& c : options.certificates) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) return base::Status::error("cannot create a TLS context: " + openssl_error());
    SSL_CTX_set_min_proto_version(ctx.get(), options.tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), options.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                       SSL_OP_NO_COMPRESSION);
    SSL_CTX_clear_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // One read() takes whatever the socket holds, not a record header and then its body
    // (tls_transport.h: a request is one read, not three).
    SSL_CTX_set_read_ahead(ctx.get(), 1);
    if (SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) != 1 ||
        SSL_CTX_ctrl(ctx.get(), SSL_CTRL_SET_GROUPS_LIST, 0, const_cast<char*>(kGroups)) != 1) {
      return base::Status::error("cannot set the TLS ciphers: " + openssl_error());
    }
    SSL_CTX_set_dh_auto(ctx.get(), 1);  // RFC 7919 ffdhe groups for the DHE suites
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), c.cert.c_str()) != 1) {
      return base::Status::error("cert " + c.cert + ": " + openssl_error());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), c.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      return base::Status::error("key " + c.key + ": " + openssl_error());
    }
    // Tickets only: a server-side cache would be one more lock shared by the workers.
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx.get(), 1);
    SSL_CTX_set_timeout(ctx.get(), static_cast<long>(keys.period().count()));
    static const unsigned char kSessionContext[] = "etagd";
    SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1);
    keys.install(ctx.get());
    SSL_CTX_set_alpn_select_cb(ctx.get(), &TlsServerContexts::on_alpn, made.get());
    made->contexts_.push_back(std::move(ctx));
  }
  SSL_CTX* first = made->contexts_.front().get();
  // (SSL_CTX_set_tlsext_servername_callback and _arg are these calls behind C casts.)
  SSL_CTX_callback_ctrl(first, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                        reinterpret_cast<void (*)()>(&TlsServerContexts::on_server_name));
  SSL_CTX_ctrl(first, SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, made.get());
  out = std::move(made);
  return base::Status::ok();
}

SslPtr TlsServerContexts::new_connection() const {
  return SslPtr(SSL_new(contexts_.front().get()));
}

int TlsServerContexts::on_server_name(SSL* ssl, int*, void* self) {
  const auto* contexts = static_cast<const TlsServerContexts*>(self);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;  // no SNI: the default certificate
  // The first certificate that covers the name (subjectAltName, wildcards as RFC 6125 §6.4.3
  // allows them) wins; none: the default, whose name mismatch the client then reports.
  for (size_t i = 0; i < contexts->contexts_.size(); ++i) {
    X509* cert = SSL_CTX_get0_certificate(contexts->contexts_[i].get());
    if (cert != nullptr && X509_check_host(cert, name, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                                           nullptr) == 1) {
      if (i > 0) SSL_set_SSL_CTX(ssl, contexts->contexts_[i].get());
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_OK;
}

int TlsServerContexts::on_alpn(SSL*, const unsigned char** out, unsigned char* out_len,
                               const unsigned char* in, unsigned int in_len, void* self) {
  const auto* contexts = static_cast<const TlsServerContexts*>(self);
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_len, contexts->alpn_, contexts->alpn_length_, in,
                            in_len) !=
      OPENSSL_NPN_NEGOTIATED) {
    // No protocol in common: carry on without ALPN; a client that needs one will say so.
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace etagd::net
