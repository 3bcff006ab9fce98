#include "config/ip_network.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "config/concat.h"

namespace etagd::config {

namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr uint8_t kMappedBits = 96;

std::array<uint8_t, 16> mapped(const in_addr& v4) {
  std::array<uint8_t, 16> out{};
  std::memcpy(out.data(), kMappedPrefix.data(), kMappedPrefix.size());
  std::memcpy(out.data() + kMappedPrefix.size(), &v4, 4);
  return out;
}

bool in_mapped_range(const std::array<uint8_t, 16>& a) {
  return std::memcmp(a.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0;
}

// True when the first `bits` bits of a and b agree.
bool same_prefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b,
                 unsigned bits) {
  unsigned whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

std::array<uint8_t, 16> masked(std::array<uint8_t, 16> a, unsigned bits) {
  for (unsigned i = 0; i < 16; ++i) {
    unsigned kept = bits > i * 8 ? bits - i * 8 : 0;
    if (kept >= 8) continue;
    a[i] = kept == 0 ? 0 : static_cast<uint8_t>(a[i] & (0xff << (8 - kept)));
  }
  return a;
}

std::string address_text(const std::array<uint8_t, 16>& a, bool ipv4) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ipv4) {
    inet_ntop(AF_INET, a.data() + kMappedPrefix.size(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  }
  return buf;
}

}  // namespace

bool IpNetwork::is_ipv4() const { return prefix_length >= kMappedBits && in_mapped_range(address); }

bool IpNetwork::contains(const sockaddr* peer) const {
  if (peer == nullptr) return false;
  std::array<uint8_t, 16> bytes{};
  if (peer->sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, peer, sizeof v4);
    bytes = mapped(v4.sin_addr);
  } else if (peer->sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, peer, sizeof v6);
    std::memcpy(bytes.data(), &v6.sin6_addr, 16);
  } else {
    return false;
  }
  // Families do not mix (as nginx's set_real_ip_from): ::/0 trusts every IPv6 peer, not every
  // IPv4 one, although ::ffff:0:0/96 lies inside it.
  if (in_mapped_range(bytes) != is_ipv4()) return false;
  return same_prefix(bytes, address, prefix_length);
}

std::string IpNetwork::to_string() const {
  bool ipv4 = is_ipv4();
  std::string out = address_text(address, ipv4);
  unsigned length = ipv4 ? prefix_length - kMappedBits : prefix_length;
  if (prefix_length != 128) out += concat("/", std::to_string(length));
  return out;
}

base::Status parse_ip_network(std::string_view text, IpNetwork& result) {
  if (text.empty()) {
    return base::Status::error("an empty address; write an address (192.168.1.7, ::1) or a network (10.0.0.0/8)");
  }
  if (text.front() == '[') {
    return base::Status::error(concat("'", text,
                     "': write an IPv6 address or network without brackets, e.g. 2001:db8::/32"));
  }
  size_t slash = text.find('/');
  std::string address(text.substr(0, slash));
  IpNetwork net;
  bool ipv4 = false;
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    ipv4 = true;
    net.address = mapped(v4);
  } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    std::memcpy(net.address.data(), &v6, 16);
  } else {
    return base::Status::error(concat("'", address,
                     "' is not an IP address; write an IPv4 or IPv6 address (192.168.1.7, ::1), "
                     "optionally with a prefix length (10.0.0.0/8, 2001:db8::/32); host names are "
                     "not accepted"));
  }

  unsigned max_length = ipv4 ? 32 : 128;
  unsigned length = max_length;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
        length > max_length) {
      return base::Status::error(concat("'/", digits, "' is not a prefix length; an ", ipv4 ? "IPv4" : "IPv6",
                       " network takes /0 to /", std::to_string(max_length)));
    }
  }
  net.prefix_length = static_cast<uint8_t>(ipv4 ? length + kMappedBits : length);

  std::array<uint8_t, 16> network = masked(net.address, net.prefix_length);
  if (network != net.address) {
    IpNetwork meant = net;
    meant.address = network;
    return base::Status::error(concat("'", text, "' has host bits set beyond the /", std::to_string(length),
                     " prefix; did you mean ", meant.to_string(), "?"));
  }
  result = net;
  return base::Status::ok();
}

}  // namespace etagd::config
