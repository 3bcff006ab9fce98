// Internal to the config loader: "host:port" as listen, admin and fleet addresses write it,
// and the authority of the upstream URL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "config/config.h"

namespace etagd::config {

// "0.0.0.0:8080", "localhost:8080", "[::1]:8080" (IPv6 always in brackets, RFC 3986 §3.2.2).
// Without a port, `default_port` is used if given. On success sets `result`, whose host has
// no brackets and whose `text` is `text` as given; on failure leaves it and says why.
base::Status parse_host_port(std::string_view text, std::optional<uint16_t> default_port,
                             ListenAddress& result);

// "8080": digits only, as `listen: 8080` writes a port without an address.
bool is_bare_port(std::string_view text);

// Whether this machine can open IPv6 sockets (false on a kernel booted with ipv6.disable=1).
bool ipv6_available();

// A host name (RFC 1123 labels) or an IPv4 literal. Not IPv6: that needs brackets around it
// wherever a port may follow.
bool is_host_name_or_ipv4(std::string_view host);

}  // namespace etagd::config
