// The units a config file writes sizes and durations in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace etagd::config {

// "250ms", "60s", "5m", "2h", "1d"; a bare integer is seconds. Whole numbers only; a value
// that does not fit in milliseconds::rep is an error.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "512", "16KiB", "256MiB", "1GiB" (binary), "16KB"/"16k" (also 1024-based, as nginx reads them),
// a bare integer is bytes. Accepted suffixes: B; KiB KB k K; MiB MB m M; GiB GB g G;
// TiB TB t T. Overflow of 64 bits is an error.
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace etagd::config
