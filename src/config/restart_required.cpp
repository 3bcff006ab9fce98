#include <string>
#include <utility>
#include <vector>

#include "config/config_loader.h"
#include "config/settings_table.h"

namespace etagd::config {

// The rows marked Apply::Restart are fixed when the process starts: sockets are bound and
// shared between workers, the worker threads exist, the cache's shards are allocated, the
// Redis subscriber is connected, and the connection limit sizes process-wide accounting.
// Everything else applies to the next request.
void keep_running_settings(const Config& running, Config& loaded) {
  std::vector<PendingRestart> pending;
  for (const SettingsBlock& b : settings_blocks()) {
    if (b.enabled) {
      bool was_on = (*b.enabled)(running);
      bool is_on = (*b.enabled)(loaded);
      if (was_on != is_on) {
        if (b.switch_apply == Apply::Restart) {
          // The block stays whole as it runs.
          pending.push_back({std::string(b.name), is_on ? R"("on")" : R"("off")"});
          (*b.enabled)(loaded) = was_on;
          for (const Setting<Config>& s : b.settings) s.copy(loaded, running);
        }
        continue;
      }
      if (!was_on) continue;  // off before and after: its settings are not in use
    }
    for (const Setting<Config>& s : b.settings) {
      if (s.apply == Apply::Restart && !s.same(running, loaded)) {
        pending.push_back({b.path_of(s.name), value_json(s, loaded)});
        s.copy(loaded, running);
      }
    }
  }
  loaded.pending_restart = std::move(pending);
}

}  // namespace etagd::config
