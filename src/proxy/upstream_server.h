// One origin server as every worker sees it: where it is (resolved once, at load time) and
// the counts all workers share: requests in flight (least outstanding requests balances on
// it, upstream.max_connections limits it). A reload that keeps a server (same URL, same
// address) keeps this object, so its counts carry over; a removed server lives on while
// requests still use it. Its weight and role are the running config's (RunningServer), since
// a reload may change them while requests run.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/socket_address.h"

namespace etagd::proxy {

struct UpstreamServer {
  UpstreamServer(const config::UpstreamServerConfig& c, net::SocketAddress a)
      : url(c.url), host(c.host), port(c.port), base_path(c.base_path), authority(c.authority),
        address(a) {}

  const std::string url;
  const std::string host;
  const uint16_t port;
  const std::string base_path;
  const std::string authority;
  const net::SocketAddress address;

  std::atomic<uint32_t> in_flight{0};  // requests sent or being sent, all workers
};

// A server of one running config: the shared state and what this config says of it.
struct RunningServer {
  std::shared_ptr<UpstreamServer> server;
  uint32_t weight = 1;
  bool backup = false;
};

}  // namespace etagd::proxy
