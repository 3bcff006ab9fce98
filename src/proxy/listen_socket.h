// A listening socket as a worker gets it: the descriptor and what the connections it accepts
// inherit (the scheme clients use on it, its port), so a TLS listener can join without the
// worker telling sockets apart itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/unique_fd.h"

namespace etagd::proxy {

struct ListenSocket {
  base::UniqueFd fd;
  uint16_t port = 0;
  std::string_view scheme = "http";
  // Connections that open with the HTTP/2 preface speak HTTP/2 (prior knowledge, RFC 9113 §3.3).
  bool http2 = false;
  // Its entry in config.listen (and RunningConfig::listener_tls): a TLS listener's contexts.
  size_t listener = 0;
};

}  // namespace etagd::proxy
