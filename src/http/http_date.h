// HTTP-date (RFC 9110 §5.6.7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace etagd::http {

inline constexpr size_t kHttpDateLength = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

// Accepts IMF-fixdate, and the obsolete rfc850-date and asctime-date forms a recipient must
// also accept. Returns seconds since the Unix epoch, or nullopt for anything else.
std::optional<int64_t> parse_http_date(std::string_view text);

// Writes the IMF-fixdate form of `epoch_seconds` into out[0..29) (no terminator).
void format_http_date(int64_t epoch_seconds, char out[kHttpDateLength]);

}  // namespace etagd::http
