// Who the client is behind trusted proxies: the right-most X-Forwarded-For hop that is not a
// trusted proxy (nginx real_ip_recursive); without a trusted peer, the peer itself.
#include "proxy/client_identity.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <cstring>

using etagd::config::IpNetwork;
using etagd::config::parse_ip_network;
using etagd::http::HeaderList;
using etagd::proxy::client_address;
using etagd::proxy::is_trusted;

namespace {

std::vector<IpNetwork> networks(std::initializer_list<const char*> texts) {
  std::vector<IpNetwork> out;
  for (const char* t : texts) {
    IpNetwork n;
    etagd::base::Status s = parse_ip_network(t, n);
    REQUIRE_MESSAGE(s.is_ok(), s.message());
    out.push_back(n);
  }
  return out;
}

sockaddr_storage v4(const char* text) {
  sockaddr_storage s{};
  auto* a = reinterpret_cast<sockaddr_in*>(&s);
  a->sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, text, &a->sin_addr) == 1);
  return s;
}

}  // namespace

TEST_CASE("a peer is trusted when it lies in one of the networks") {
  auto trusted = networks({"10.0.0.0/8", "192.168.1.7"});
  sockaddr_storage lb = v4("10.1.2.3"), other = v4("192.168.1.8");
  CHECK(is_trusted(reinterpret_cast<sockaddr*>(&lb), trusted));
  CHECK_FALSE(is_trusted(reinterpret_cast<sockaddr*>(&other), trusted));
}

TEST_CASE("an untrusted peer is the client, whatever its X-Forwarded-For says") {
  HeaderList h;
  h.add("X-Forwarded-For", "6.6.6.6");
  CHECK(client_address(h, false, "198.51.100.1", networks({"10.0.0.0/8"})) == "198.51.100.1");
}

TEST_CASE("behind trusted proxies the client is the right-most untrusted hop") {
  auto trusted = networks({"10.0.0.0/8", "2001:db8::/32"});
  struct Case {
    const char* forwarded_for;
    const char* client;
  };
  const Case cases[] = {
      {"203.0.113.9", "203.0.113.9"},
      {"6.6.6.6, 203.0.113.9", "203.0.113.9"},     // the left part is the client's own claim
      {"6.6.6.6, 203.0.113.9, 10.0.0.5", "203.0.113.9"},
      {"203.0.113.9, 2001:db8::1", "203.0.113.9"},
      {"[2001:db8:ffff::9]:4711, 10.0.0.5", "2001:db8:ffff::9"},
      {"203.0.113.9:51234", "203.0.113.9"},
      {"10.0.0.1, 10.0.0.2", "10.0.0.1"},         // all trusted: the left-most
      {"unknown, 10.0.0.2", "10.0.0.2"},          // no address: the nearest one read
      {"", "10.9.9.9"},                           // nothing forwarded: the peer
  };
  for (const Case& c : cases) {
    CAPTURE(c.forwarded_for);
    HeaderList h;
    if (*c.forwarded_for) h.add("X-Forwarded-For", c.forwarded_for);
    CHECK(client_address(h, true, "10.9.9.9", trusted) == c.client);
  }
}

TEST_CASE("X-Forwarded-For over several lines is one list") {
  HeaderList h;
  h.add("X-Forwarded-For", "6.6.6.6");
  h.add("X-Forwarded-For", "203.0.113.9");
  CHECK(client_address(h, true, "10.0.0.1", networks({"10.0.0.0/8"})) == "203.0.113.9");
}
