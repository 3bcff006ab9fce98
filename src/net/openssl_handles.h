// RAII owners for OpenSSL objects, as base/event_handles.h is for libevent's. A context is
// shared (the running config holds it while every worker's connections use it: SSL_CTX is
// safe to use from several threads once it is set up); connections and sessions have one owner.
#pragma once

#include <openssl/ssl.h>

#include <memory>

namespace etagd::net {

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct SslSessionFree {
  void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};
struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

using SslPtr = std::unique_ptr<SSL, SslFree>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, SslSessionFree>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SharedSslCtx = std::shared_ptr<SSL_CTX>;

inline SharedSslCtx share(SslCtxPtr ctx) { return SharedSslCtx(ctx.release(), SslCtxFree{}); }

}  // namespace etagd::net
