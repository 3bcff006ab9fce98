// What a worker needs from one loaded configuration: the Config itself and the upstream
// servers, resolved once at load time (never on a worker thread: getaddrinfo blocks).
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "net/openssl_handles.h"
#include "net/socket_address.h"
#include "net/tls_server_contexts.h"
#include "ops/access_log.h"
#include "proxy/upstream_server.h"

namespace etagd::proxy {

struct RunningConfig {
  std::shared_ptr<const config::Config> config;
  // In the order of upstream.servers; a server a reload keeps is the same UpstreamServer.
  std::vector<RunningServer> servers;
  // Servers this or an earlier reload removed that still had requests in flight when this
  // config was loaded: /metrics shows them as draining until their last request is done.
  std::vector<std::shared_ptr<UpstreamServer>> draining;
  // For https servers: the TLS context their connections share (trust, client certificate),
  // built from upstream.tls when the config is loaded; null when every server is http.
  net::SharedSslCtx upstream_tls;
  // Per entry of config->listen, in order: the TLS contexts of a TLS listener (its
  // certificate files read when this config was loaded), null for plain HTTP. A connection
  // takes the ones current when it is accepted and keeps them.
  std::vector<std::shared_ptr<const net::TlsServerContexts>> listener_tls;
  // Opened by the main thread; a reload that keeps destination and format keeps the object.
  std::shared_ptr<ops::AccessLog> access_log;
  uint64_t generation = 0;  // increases with every successful reload
};

}  // namespace etagd::proxy
