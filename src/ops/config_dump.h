// The effective configuration as GET /config shows it: pretty-printed JSON with the file's
// key names, every default filled in, durations and sizes in the units a config file uses
// ("60s", "256MiB"), and the rules in match order with their inherited actions resolved.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/config.h"

namespace etagd::ops {

std::string dump_config(const config::Config& config);

// "250ms", "60s", "5m", "2h", "1d": the largest unit that states `d` exactly.
std::string format_duration(std::chrono::milliseconds d);
// "256MiB", "16KiB", "1000": the largest binary unit that states `bytes` exactly.
std::string format_size(uint64_t bytes);

}  // namespace etagd::ops
