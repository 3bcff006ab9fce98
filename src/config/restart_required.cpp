#include <string>
#include <vector>

#include "config/concat.h"
#include "config/config_loader.h"
#include "config/settings_table.h"

namespace etagd::config {

// The rows marked Apply::Restart are fixed when the process starts: sockets are bound and
// shared between workers, the worker threads exist, the cache's shards are allocated, the
// Redis subscriber is connected, and the connection limit sizes process-wide accounting.
// Everything else applies to the next request.
std::vector<std::string> restart_required_changes(const Config& running, const Config& loaded) {
  std::vector<std::string> changes;
  auto note = [&](std::string key) {
    changes.push_back(concat(key, ": changed (restart etagd to apply)"));
  };
  for (const SettingsBlock& b : settings_blocks()) {
    if (b.enabled) {
      bool was_on = (*b.enabled)(running);
      if (was_on != (*b.enabled)(loaded)) {
        if (b.switch_apply == Apply::Restart) note(std::string(b.name));
        continue;
      }
      if (!was_on) continue;  // off before and after: its settings are not in use
    }
    for (const Setting<Config>& s : b.settings) {
      if (s.apply == Apply::Restart && !s.same(running, loaded)) note(b.path_of(s.name));
    }
  }
  return changes;
}

}  // namespace etagd::config
