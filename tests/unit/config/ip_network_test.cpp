// IpNetwork: the addresses and networks `trusted_proxies` lists, and which peers they contain.
#include "config/ip_network.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <string>

namespace etagd::config {
namespace {

IpNetwork must_parse(std::string_view text) {
  IpNetwork net;
  base::Status s = parse_ip_network(text, net);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return net;
}

std::string problem_of(std::string_view text) {
  IpNetwork net;
  base::Status s = parse_ip_network(text, net);
  CHECK_FALSE(s.is_ok());
  return s.message();
}

// A peer address as accept() fills it in.
struct Peer {
  sockaddr_storage storage{};
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

Peer peer(const char* text) {
  Peer p;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&p.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&p.storage);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(40000);
  } else {
    REQUIRE(inet_pton(AF_INET6, text, &v6->sin6_addr) == 1);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(40000);
  }
  return p;
}

bool contains(std::string_view network, const char* address) {
  return must_parse(network).contains(peer(address).get());
}

TEST_CASE("an IPv4 network contains exactly the addresses under its prefix") {
  CHECK(contains("10.0.0.0/8", "10.0.0.1"));
  CHECK(contains("10.0.0.0/8", "10.255.255.255"));
  CHECK_FALSE(contains("10.0.0.0/8", "11.0.0.0"));
  CHECK_FALSE(contains("10.0.0.0/8", "9.255.255.255"));
  CHECK(contains("192.168.1.0/25", "192.168.1.127"));
  CHECK_FALSE(contains("192.168.1.0/25", "192.168.1.128"));
  CHECK(contains("0.0.0.0/0", "203.0.113.9"));
}

TEST_CASE("a bare IPv4 address is a network of one address") {
  CHECK(contains("192.168.1.7", "192.168.1.7"));
  CHECK_FALSE(contains("192.168.1.7", "192.168.1.8"));
  CHECK(must_parse("192.168.1.7") == must_parse("192.168.1.7/32"));
}

TEST_CASE("an IPv6 network contains exactly the addresses under its prefix") {
  CHECK(contains("2001:db8::/32", "2001:db8:1234::1"));
  CHECK_FALSE(contains("2001:db8::/32", "2001:db9::1"));
  CHECK(contains("::1", "::1"));
  CHECK_FALSE(contains("::1", "::2"));
  CHECK(contains("fe80::/10", "febf::1"));
  CHECK_FALSE(contains("fe80::/10", "fec0::1"));
}

TEST_CASE("an IPv4-mapped IPv6 peer matches IPv4 networks") {
  // What a dual-stack [::] socket reports for an IPv4 client.
  CHECK(contains("10.0.0.0/8", "::ffff:10.1.2.3"));
  CHECK(contains("192.168.1.7", "::ffff:192.168.1.7"));
  CHECK_FALSE(contains("10.0.0.0/8", "::ffff:11.1.2.3"));
}

TEST_CASE("a network written in IPv4-mapped form is the IPv4 network") {
  CHECK(must_parse("::ffff:10.0.0.0/104") == must_parse("10.0.0.0/8"));
  CHECK(must_parse("::ffff:10.0.0.0/104").to_string() == "10.0.0.0/8");
  CHECK(contains("::ffff:10.0.0.0/104", "10.9.9.9"));
}

TEST_CASE("families do not mix: an IPv6 network never contains a plain IPv4 peer") {
  CHECK_FALSE(contains("::/0", "10.0.0.1"));
  CHECK_FALSE(contains("::/0", "::ffff:10.0.0.1"));
  CHECK(contains("::ffff:0:0/96", "10.0.0.1"));
  CHECK_FALSE(contains("2001:db8::/32", "10.0.0.1"));
  CHECK_FALSE(contains("10.0.0.0/8", "2001:db8::1"));
  CHECK_FALSE(contains("0.0.0.0/0", "2001:db8::1"));
}

TEST_CASE("a peer without an IP address is never contained") {
  IpNetwork all = must_parse("0.0.0.0/0");
  CHECK_FALSE(all.contains(nullptr));
  sockaddr_un unix_peer{};
  unix_peer.sun_family = AF_UNIX;
  CHECK_FALSE(all.contains(reinterpret_cast<const sockaddr*>(&unix_peer)));
}

TEST_CASE("networks print in the form they are written in") {
  CHECK(must_parse("10.0.0.0/8").to_string() == "10.0.0.0/8");
  CHECK(must_parse("192.168.1.7").to_string() == "192.168.1.7");
  CHECK(must_parse("2001:db8::/32").to_string() == "2001:db8::/32");
  CHECK(must_parse("::1").to_string() == "::1");
  CHECK(must_parse("0.0.0.0/0").to_string() == "0.0.0.0/0");
  CHECK(must_parse("::/0").to_string() == "::/0");
}

TEST_CASE("host bits set beyond the prefix are an error that gives the network meant") {
  CHECK(problem_of("10.0.0.1/8") ==
        "'10.0.0.1/8' has host bits set beyond the /8 prefix; did you mean 10.0.0.0/8?");
  CHECK(problem_of("192.168.1.7/24") ==
        "'192.168.1.7/24' has host bits set beyond the /24 prefix; did you mean 192.168.1.0/24?");
  CHECK(problem_of("2001:db8::1/32") ==
        "'2001:db8::1/32' has host bits set beyond the /32 prefix; did you mean 2001:db8::/32?");
}

TEST_CASE("a prefix length must be a number within the family's width") {
  CHECK(problem_of("10.0.0.0/33").find("an IPv4 network takes /0 to /32") != std::string::npos);
  CHECK(problem_of("::/129").find("an IPv6 network takes /0 to /128") != std::string::npos);
  CHECK(problem_of("10.0.0.0/").find("is not a prefix length") != std::string::npos);
  CHECK(problem_of("10.0.0.0/8x").find("is not a prefix length") != std::string::npos);
  CHECK(problem_of("10.0.0.0/-8").find("is not a prefix length") != std::string::npos);
}

TEST_CASE("names, brackets and malformed addresses are not networks") {
  CHECK(problem_of("proxy.internal").find("is not an IP address") != std::string::npos);
  CHECK(problem_of("10.0.0").find("is not an IP address") != std::string::npos);
  CHECK(problem_of("10.0.0.0.0/8").find("is not an IP address") != std::string::npos);
  CHECK(problem_of("[::1]").find("without brackets") != std::string::npos);
  CHECK(problem_of("").find("empty") != std::string::npos);
}

}  // namespace
}  // namespace etagd::config
