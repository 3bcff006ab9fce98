#include "proxy/client_identity.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "http/token.h"

namespace etagd::proxy {

namespace {

// An X-Forwarded-For member as an address: "192.0.2.1", "2001:db8::1", and the forms some
// proxies write with a port, "192.0.2.1:4711" and "[2001:db8::1]:4711". False for anything
// else ("unknown", obfuscated identifiers, garbage).
bool parse_member(std::string_view text, sockaddr_storage& out, std::string& normalized) {
  text = http::trim_ows(text);
  if (text.size() > 2 && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    text = text.substr(0, text.find(':'));  // IPv4 with a port
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  out = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
  } else {
    return false;
  }
  normalized.assign(buf);
  return true;
}

}  // namespace

bool is_trusted(const sockaddr* peer, const std::vector<config::IpNetwork>& trusted) {
  return std::any_of(trusted.begin(), trusted.end(),
                     [&](const config::IpNetwork& n) { return n.contains(peer); });
}

std::string client_address(const http::HeaderList& request, bool trusted_peer,
                           std::string_view peer_text,
                           const std::vector<config::IpNetwork>& trusted) {
  std::string client(peer_text);
  if (!trusted_peer) return client;
  // Walk the hops from the right (the one nearest to us) and stop at the first that is not a
  // trusted proxy: everything left of it was written by someone we cannot vouch for.
  std::vector<std::string_view> members;
  for (const http::HeaderField& f : request) {
    if (!http::iequals(f.name, "x-forwarded-for")) continue;
    http::for_each_list_member(f.value, [&](std::string_view m) {
      members.push_back(m);
      return true;
    });
  }
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    sockaddr_storage addr;
    std::string text;
    // An entry that is no address: the nearest address we could read stands for the client.
    if (!parse_member(*it, addr, text)) break;
    client = std::move(text);
    if (!is_trusted(reinterpret_cast<const sockaddr*>(&addr), trusted)) break;
  }
  return client;
}

}  // namespace etagd::proxy
