// Whether a worker may answer from a cached entry without asking the upstream, as far as the
// fleet is concerned.
//
// While an instance is subscribed it receives every invalidation the fleet publishes, so the
// cache's own freshness rules decide. While it is not (Redis down, network cut, reconnecting)
// a message may be lost at any moment (pub/sub delivers at most once and keeps nothing), so an
// entry is only trusted if it was stored or last validated upstream less than
// fleet.max_staleness ago; with the default 0 no entry is trusted and every hit is revalidated.
// That bounds what a lost invalidation can cost: never a stale HIT older than max_staleness.
// Time is whole seconds, the cache's clock: "1500ms" acts as 1 s (rounding down is the
// stricter choice).
//
// A worker samples the gate BEFORE its cache lookup. A resubscription first marks the whole
// cache stale (CacheStore::mark_all_stale) and only then opens the gate, with release/acquire
// ordering, so a lookup made after reading an open gate sees that mark.
#pragma once

#include <chrono>

#include "cache/cache_entry.h"

namespace etagd::fleet {

struct HitGate {
  bool in_sync = true;        // subscribed, or fleet mode off: nothing can have been missed
  std::chrono::seconds max_staleness{0};  // used while !in_sync

  // `now`: the wall clock entries are stamped with.
  bool allows(const cache::CacheEntry& entry, base::WallSeconds now) const {
    if (in_sync) return true;
    return max_staleness > std::chrono::seconds(0) &&
           now - entry.freshness().response_time < max_staleness;
  }
};

}  // namespace etagd::fleet
