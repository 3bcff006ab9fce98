// Who is asking, as the upstream request, the access log and the metrics need to know it.
//
// A peer in `trusted_proxies` (a TLS terminator or load balancer in front of etagd) speaks for
// the client: its X-Forwarded-For, -Proto, -Host and -Port are believed, and the client is the
// right-most address in its X-Forwarded-For that is not itself a trusted proxy (as nginx's
// real_ip_recursive). Anyone else is the client, and what it says in those fields is not
// believed: etagd replaces or removes them (upstream_request.h), so no client can forge its
// address or claim TLS to the API behind.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/ip_network.h"
#include "http/header_list.h"

namespace etagd::proxy {

struct ClientIdentity {
  std::string peer;          // the connection's own peer address ("192.0.2.7", "::1")
  std::string client;        // the client as far as we can tell: the peer, or from X-Forwarded-For
  bool trusted_peer = false; // the peer is in trusted_proxies
  std::string_view scheme = "http";  // what the client used to reach us: the listener's
  uint16_t port = 0;                 // the listener's port
};

bool is_trusted(const sockaddr* peer, const std::vector<config::IpNetwork>& trusted);

// The client of a request from `peer`: see the header comment. `peer_text` is its address
// as address_text() prints it.
std::string client_address(const http::HeaderList& request, bool trusted_peer,
                           std::string_view peer_text,
                           const std::vector<config::IpNetwork>& trusted);

}  // namespace etagd::proxy
