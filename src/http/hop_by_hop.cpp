#include "http/hop_by_hop.h"

#include "http/token.h"

namespace etagd::http {

bool is_hop_by_hop(std::string_view name) {
  // RFC 9110 §7.6.1 names Connection, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and
  // Upgrade; Trailer only makes sense with the chunked framing of one hop (RFC 9110 §6.6.2).
  // Every Proxy-* field (Proxy-Authorization, Proxy-Authenticate, Proxy-Connection...) is
  // addressed to a proxy, so none is passed on, as nginx and Varnish do.
  static constexpr std::string_view kNames[] = {"connection", "keep-alive",        "te",
                                                "trailer",    "transfer-encoding", "upgrade"};
  for (std::string_view n : kNames) {
    if (iequals(name, n)) return true;
  }
  return istarts_with(name, "proxy-");
}

bool is_connection_specific(std::string_view name, const HeaderList& headers) {
  if (is_hop_by_hop(name)) return true;
  bool listed = false;
  for (const HeaderField& f : headers) {
    if (!iequals(f.name, "connection")) continue;
    for_each_list_member(f.value, [&](std::string_view option) {
      listed = iequals(option, name);
      return !listed;
    });
    if (listed) return true;
  }
  return false;
}

}  // namespace etagd::http
