// The effective configuration as GET /config shows it: pretty-printed JSON with the file's
// key names, every default filled in, durations and sizes in the units a config file uses
// ("60s", "256MiB"), and the rules in match order with their inherited actions resolved.
// Written from the same tables that read the file (settings_table.h, rules_loader.h), so a
// key the loader accepts is a key the dump shows, in the form the loader reads back.
// After a reload the values are those in force: a setting that needs a restart shows its
// running value, and "pending_restart" maps its key to the value the file gives.
#pragma once

#include <string>

#include "config/config.h"

namespace etagd::config {

std::string dump_config(const Config& config);

}  // namespace etagd::config
