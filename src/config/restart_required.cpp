#include <string>
#include <vector>

#include "config/concat.h"
#include "config/config_loader.h"

namespace etagd::config {

namespace {

bool same_address(const ListenAddress& a, const ListenAddress& b) {
  return a.host == b.host && a.port == b.port;
}

bool same_listen(const std::vector<ListenAddress>& a, const std::vector<ListenAddress>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same_address(a[i], b[i])) return false;
  }
  return true;
}

bool same_fleet(const FleetConfig& a, const FleetConfig& b) {
  return a.enabled == b.enabled && a.redis_host == b.redis_host && a.redis_port == b.redis_port &&
         a.channel == b.channel && a.instance_id == b.instance_id &&
         a.reconnect_min == b.reconnect_min && a.reconnect_max == b.reconnect_max &&
         a.max_staleness == b.max_staleness;
}

}  // namespace

// These are fixed when the process starts: sockets are bound and shared between workers, the
// worker threads exist, the cache's shards are allocated, the Redis subscriber is connected,
// and the connection limit sizes process-wide accounting. Everything else applies to the next
// request.
std::vector<std::string> restart_required_changes(const Config& running, const Config& loaded) {
  std::vector<std::string> changes;
  auto note = [&](bool same, const char* key) {
    if (!same) changes.push_back(concat(key, ": changed (restart etagd to apply)"));
  };
  note(same_listen(running.listen, loaded.listen), "listen");
  note(running.workers == loaded.workers, "workers");
  note(running.admin.enabled == loaded.admin.enabled &&
           (!running.admin.enabled || same_address(running.admin.listen, loaded.admin.listen)),
       "admin");
  note(running.cache.max_memory == loaded.cache.max_memory, "cache.max_memory");
  note(running.cache.shards == loaded.cache.shards, "cache.shards");
  note(same_fleet(running.fleet, loaded.fleet), "fleet");
  note(running.limits.max_connections == loaded.limits.max_connections, "limits.max_connections");
  return changes;
}

}  // namespace etagd::config
