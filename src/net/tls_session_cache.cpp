#include "net/tls_session_cache.h"

namespace etagd::net {

namespace {

int cache_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

void TlsSessionCache::install(SSL_CTX* ctx) {
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &TlsSessionCache::on_new_session);
}

void TlsSessionCache::attach(SSL* ssl) {
  SSL_set_ex_data(ssl, cache_index(), this);
  // A session is resumable only with the context it came from: the pool clears the cache when
  // the upstream's context changes.
  if (latest_ && SSL_SESSION_is_resumable(latest_.get())) SSL_set_session(ssl, latest_.get());
}

int TlsSessionCache::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* cache = static_cast<TlsSessionCache*>(SSL_get_ex_data(ssl, cache_index()));
  if (cache == nullptr) return 0;  // OpenSSL keeps its reference and frees the session
  cache->store(SslSessionPtr(session));
  return 1;  // we took the reference
}

}  // namespace etagd::net
