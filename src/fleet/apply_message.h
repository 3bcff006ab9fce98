// What an instance does with a message it received from the fleet channel.
#pragma once

#include <string_view>

#include "cache/cache_store.h"
#include "fleet/message.h"

namespace etagd::fleet {

enum class Inbound {
  Applied,        // another instance's invalidation, now applied to the local cache
  OwnMessage,     // ours, back from Redis: already applied locally when it was published
  OwnHeartbeat,   // ours: the publish -> Redis -> subscribe path is alive
  PeerHeartbeat,  // another instance's heartbeat: nothing to do
};

// Applies `message` to `cache` unless `self` (this instance's sender token) sent it.
// Each kind costs what the same local invalidation costs (cache_store.h): url -> one shard,
// prefix -> O(shards), all -> O(1) (mark_all_stale: revalidate, not drop).
Inbound apply_message(const Message& message, std::string_view self, cache::CacheStore& cache);

}  // namespace etagd::fleet
