// What a worker needs from one loaded configuration: the Config itself and the upstream
// address resolved once at load time (never on a worker thread: getaddrinfo blocks).
#pragma once

#include <sys/socket.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "ops/access_log.h"

namespace etagd::proxy {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  bool operator==(const SocketAddress& o) const;
};

// Resolves host:port (numeric or a name) to the first address getaddrinfo gives.
// Returns an error message, or an empty string on success.
std::string resolve_address(const std::string& host, uint16_t port, SocketAddress& out);
// "1.2.3.4" / "::1" for a peer address.
std::string address_text(const sockaddr* sa);

struct RunningConfig {
  std::shared_ptr<const config::Config> config;
  SocketAddress upstream;
  // Opened by the main thread; a reload that keeps destination and format keeps the object.
  std::shared_ptr<ops::AccessLog> access_log;
  uint64_t generation = 0;  // increases with every successful reload
};

}  // namespace etagd::proxy
