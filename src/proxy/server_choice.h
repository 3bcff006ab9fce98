// Which server a request goes to: least outstanding requests, weighted. Among the primaries
// with a free slot the one with the fewest requests in flight for its weight; the backups only while no primary can be
// used at all (not while they are merely busy: a busy primary means wait, not spill over).
// Ties go to the earlier server in the list, so with one request at a time the first server
// gets it, as with nginx's least_conn.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "proxy/upstream_server.h"

namespace etagd::proxy {

struct ServerChoice {
  enum class Kind { Chosen, AllBusy, NoneUsable };
  Kind kind = Kind::NoneUsable;
  const RunningServer* server = nullptr;  // when Chosen
};

// What a choice depends on besides the servers.
struct ChoiceContext {
  uint32_t limit = 0;       // upstream.max_connections (0: none)
  int64_t now_ms = 0;       // health_clock_ms()
  int64_t slow_start_ms = 0;
  // A server not to choose again (the one a retried request failed on), or null.
  const UpstreamServer* excluded = nullptr;
};

// The context for requests under `upstream`, now.
ChoiceContext choice_for(const config::UpstreamConfig& upstream,
                         const UpstreamServer* excluded = nullptr);

// A server is usable when up by the health checks, not ejected and not excluded.
ServerChoice choose_server(const std::vector<RunningServer>& servers, const ChoiceContext& c);

}  // namespace etagd::proxy
