#include "config/host_resolution.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include "config/concat.h"

namespace etagd::config {

namespace {

bool is_ip_literal(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

}  // namespace

std::string resolve_with_getaddrinfo(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (found != nullptr) freeaddrinfo(found);
  return rc == 0 ? std::string() : std::string(gai_strerror(rc));
}

std::vector<Diagnostic> unresolved_host_warnings(const Config& config,
                                                 const HostResolver& resolve) {
  struct Named {
    std::string path;  // where the file gives it, for the position
    std::string host;
    std::string what;  // what fails without it
  };
  std::vector<Named> hosts;
  // `upstream: http://...` alone has its position at `upstream`.
  hosts.push_back({config.positions.count("upstream.url") ? "upstream.url" : "upstream",
                   config.upstream.host, "etagd would not start with this file (`cannot resolve`)"
                                         " and a reload to it would be rejected"});
  for (const ListenerConfig& l : config.listen) {
    std::string path = config.positions.count(l.path) ? l.path : "listen";
    hosts.push_back({path, l.address.host, "etagd would not start with this file"});
  }
  if (config.admin.enabled) {
    hosts.push_back(
        {"admin.listen", config.admin.listen.host, "etagd would not start with this file"});
  }
  if (config.fleet.enabled) {
    hosts.push_back({"fleet.redis", config.fleet.redis_host,
                     "invalidations would not reach the other instances until it does"});
  }

  std::vector<Diagnostic> out;
  std::vector<std::string> asked;
  for (const Named& n : hosts) {
    if (n.host.empty() || is_ip_literal(n.host)) continue;
    bool seen = false;
    for (const std::string& a : asked) seen = seen || a == n.host;
    if (seen) continue;  // one warning per name, at its first use
    asked.push_back(n.host);
    std::string problem = resolve(n.host);
    if (problem.empty()) continue;
    Diagnostic d;
    d.severity = Diagnostic::Severity::Warning;
    d.file = config.source_path;
    if (auto it = config.positions.find(n.path); it != config.positions.end()) {
      d.line = it->second.line;
      d.column = it->second.column;
    }
    d.key_path = n.path;
    d.message = concat("the host '", n.host, "' does not resolve here (", problem, "); ", n.what);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace etagd::config
