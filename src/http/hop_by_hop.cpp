#include "http/hop_by_hop.h"

#include "http/token.h"

namespace etagd::http {

namespace {

// True if some Connection field of `headers` lists `name` as an option.
bool listed_in_connection(std::string_view name, const HeaderList& headers) {
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

}  // namespace

bool is_hop_by_hop(std::string_view name) {
  // RFC 9110 §7.6.1 names Connection, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and
  // Upgrade; Trailer only makes sense with the chunked framing of one hop (RFC 9110 §6.6.2).
  // Every Proxy-* field (Proxy-Authorization, Proxy-Authenticate, Proxy-Connection...) is
  // addressed to a proxy, so none is passed on, as nginx and Varnish do.
  if (istarts_with(name, "proxy-")) return true;
  // Asked for every field of every message: the length picks the one or two names to compare.
  switch (name.size()) {
    case 2:
      return iequals(name, "te");
    case 7:
      return iequals(name, "trailer") || iequals(name, "upgrade");
    case 10:
      return iequals(name, "connection") || iequals(name, "keep-alive");
    case 17:
      return iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

ConnectionOptions::ConnectionOptions(const HeaderList& headers) : headers_(headers) {
  for (const HeaderField& f : headers) {
    if (!iequals(f.name, "connection")) continue;
    for_each_list_member(f.value, [&](std::string_view option) {
      // A hop-by-hop name is dropped anyway; "close" is the one option that is common and
      // names no field anyone should send (RFC 9110 §7.6.1 reserves the name), kept apart.
      if (iequals(option, "close")) {
        lists_close_ = true;
      } else if (!is_hop_by_hop(option)) {
        lists_other_fields_ = true;
      }
      return !lists_other_fields_;
    });
    if (lists_other_fields_) return;
  }
}

bool ConnectionOptions::is_specific(std::string_view name) const {
  if (is_hop_by_hop(name)) return true;
  if (lists_close_ && iequals(name, "close")) return true;
  return lists_other_fields_ && listed_in_connection(name, headers_);
}

}  // namespace etagd::http
