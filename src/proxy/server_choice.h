// Which server a request goes to: least outstanding requests, weighted. Among the primaries
// with a free slot the one with the fewest requests in flight for its weight; the backups only while no primary can be
// used at all (not while they are merely busy: a busy primary means wait, not spill over).
// Ties go to the earlier server in the list, so with one request at a time the first server
// gets it, as with nginx's least_conn.
#pragma once

#include <cstdint>
#include <vector>

#include "proxy/upstream_server.h"

namespace etagd::proxy {

struct ServerChoice {
  enum class Kind { Chosen, AllBusy, NoneUsable };
  Kind kind = Kind::NoneUsable;
  const RunningServer* server = nullptr;  // when Chosen
};

// `limit`: upstream.max_connections (0: none). `excluded`: a server not to choose again (the
// one a retried request failed on), or null.
ServerChoice choose_server(const std::vector<RunningServer>& servers, uint32_t limit,
                           const UpstreamServer* excluded);

}  // namespace etagd::proxy
