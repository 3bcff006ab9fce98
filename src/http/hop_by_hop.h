// Hop-by-hop fields (RFC 9110 §7.6.1): they describe one connection, so a proxy consumes them
// and never forwards them, in either direction.
#pragma once

#include <string_view>

#include "http/header_list.h"

namespace etagd::http {

// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, and any
// Proxy-* field (Proxy-Authorization, Proxy-Authenticate...). Case-insensitive.
bool is_hop_by_hop(std::string_view name);

// True if `name` is hop-by-hop, or is listed as a connection option in any Connection field
// of `headers` (e.g. "Connection: close, X-Trace" makes X-Trace hop-by-hop).
bool is_connection_specific(std::string_view name, const HeaderList& headers);

}  // namespace etagd::http
