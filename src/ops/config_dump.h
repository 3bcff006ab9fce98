// The effective configuration as GET /config shows it: pretty-printed JSON with the file's
// key names, every default filled in, durations and sizes in the units a config file uses
// ("60s", "256MiB"), and the rules in match order with their inherited actions resolved.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "config/size_and_duration.h"

namespace etagd::ops {

std::string dump_config(const config::Config& config);

using config::format_duration;
using config::format_size;

}  // namespace etagd::ops
