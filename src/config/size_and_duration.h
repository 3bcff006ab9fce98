// The units a config file writes sizes and durations in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace etagd::config {

// "250ms", "60s", "5m", "2h", "1d"; a bare integer is seconds. Compound forms add up, largest
// unit first and each unit once: "1m30s", "1h30m", "1d12h", "2s500ms" (a space between parts,
// "1h 30m", is allowed as in nginx). Whole numbers only; a value that does not fit in
// milliseconds::rep is an error.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "512", "16KiB", "256MiB", "1GiB" (binary), "16KB"/"16k" (also 1024-based, as nginx reads them),
// a bare integer is bytes. Accepted suffixes: B; KiB KB k K; MiB MB m M; GiB GB g G;
// TiB TB t T. Overflow of 64 bits is an error.
std::optional<uint64_t> parse_size(std::string_view text);

// The inverses, for /config and messages: "250ms", "90s", "5m", "2h", "1d" (the largest unit
// that states `d` exactly), and "256MiB", "16KiB", "1000" (likewise, binary units).
std::string format_duration(std::chrono::milliseconds d);
std::string format_size(uint64_t bytes);
// `bytes` in the unit `written` used ("64MiB", "64MB", "64m", "65536") when it is a whole
// number of that unit, else as format_size(): a message about a setting speaks the setting's
// units.
std::string format_size_like(uint64_t bytes, std::string_view written);

}  // namespace etagd::config
