// Socket addresses: resolving a host:port once (never on a worker thread: getaddrinfo blocks)
// and printing a peer's address for logs.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "base/status.h"

namespace etagd::net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  bool operator==(const SocketAddress& o) const;
};

// Resolves host:port (numeric or a name) to the first address getaddrinfo gives.
base::Status resolve_address(const std::string& host, uint16_t port, SocketAddress& out);

// "1.2.3.4" / "::1" for an IPv4 or IPv6 address; "" for another family.
std::string address_text(const sockaddr* sa);

}  // namespace etagd::net
