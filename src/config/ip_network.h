// An IP network as `trusted_proxies` writes it: "10.0.0.0/8", "192.168.1.7", "::1",
// "2001:db8::/32". Decides whether a peer address (what accept() returned) lies inside it.
//
// Both families are held in one 16-byte form: an IPv4 network a.b.c.d/n is kept as the
// IPv4-mapped IPv6 network ::ffff:a.b.c.d/(96+n) (RFC 4291 §2.5.5.2), and an IPv4 peer is
// compared in the same form. So a dual-stack socket's peer ::ffff:10.1.2.3 matches 10.0.0.0/8,
// and a network written as ::ffff:10.0.0.0/104 is the same network as 10.0.0.0/8. Otherwise
// families do not mix: an IPv6 network such as ::/0 contains no IPv4 peer.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace etagd::config {

struct IpNetwork {
  std::array<uint8_t, 16> address{};  // network bytes, host bits zero; IPv4 as ::ffff:a.b.c.d
  uint8_t prefix_length = 0;          // 0..128 over the 16-byte form

  // True when `peer` (sockaddr_in or sockaddr_in6) lies inside the network. False for null and
  // for any other family (a Unix socket has no IP address to trust).
  bool contains(const sockaddr* peer) const;
  // True for a network inside the IPv4-mapped range, written and printed as IPv4.
  bool is_ipv4() const;
  // "10.0.0.0/8", "2001:db8::/32"; a single address without a length ("192.168.1.7", "::1").
  std::string to_string() const;

  bool operator==(const IpNetwork&) const = default;
};

// Parses "address" or "address/length" into `result`. On failure leaves it and says why,
// with the corrected network when only the host bits are wrong ("10.0.0.1/8": did you mean
// 10.0.0.0/8?): a mask that silently dropped them would trust more or fewer peers than the
// operator believes.
base::Status parse_ip_network(std::string_view text, IpNetwork& result);

}  // namespace etagd::config
