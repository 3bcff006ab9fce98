// Hop-by-hop fields (RFC 9110 §7.6.1): they describe one connection, so a proxy consumes them
// and never forwards them, in either direction.
#pragma once

#include <string_view>

#include "http/header_list.h"

namespace etagd::http {

// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, and any
// Proxy-* field (Proxy-Authorization, Proxy-Authenticate...). Case-insensitive.
bool is_hop_by_hop(std::string_view name);

// The connection options of one message: the members of its Connection fields, which make
// the fields they name hop-by-hop too (e.g. "Connection: close, X-Trace" makes X-Trace so).
// Built once per message, so that checking each of its fields is not a scan of the whole
// head: almost every Connection field lists only close or keep-alive, and then a check is
// is_hop_by_hop and one comparison. Holds a reference to `headers`, which must outlive it.
class ConnectionOptions {
 public:
  explicit ConnectionOptions(const HeaderList& headers);

  // True if the field `name` is specific to this connection: hop-by-hop, or listed as a
  // connection option (any case).
  bool is_specific(std::string_view name) const;

 private:
  const HeaderList& headers_;
  bool lists_close_ = false;         // "close" is among the options
  bool lists_other_fields_ = false;  // some option is neither close nor a hop-by-hop name
};

}  // namespace etagd::http
