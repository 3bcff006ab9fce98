// Fleet state for /metrics and /healthz.
#pragma once

#include <cstdint>

namespace etagd::fleet {

struct FleetStatus {
  bool connected = false;  // subscribed: receiving every invalidation
  uint64_t sent = 0;       // invalidations Redis accepted from this instance
  uint64_t applied = 0;    // invalidations from other instances applied here
  uint64_t dropped = 0;    // invalidations not sent: the outbox was full, or Redis was lost
                           // before it acknowledged them (each followed by an `all` message)
  uint64_t gaps = 0;       // resubscriptions after a loss; each marked the whole cache stale
  uint64_t malformed = 0;  // messages on the channel that were not etagd1 messages
};

}  // namespace etagd::fleet
