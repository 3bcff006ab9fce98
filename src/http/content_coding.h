// Content codings (RFC 9110 §8.4.1): the names etagd recognises in Content-Encoding and
// Accept-Encoding. etagd itself produces br, zstd and gzip (encoder.h); deflate is only
// recognised, so that an upstream's deflate response is keyed and kept as it is.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace etagd::http {

enum class ContentCoding : uint8_t { Identity, Br, Zstd, Gzip, Deflate };

inline constexpr size_t kContentCodingCount = 5;

// The canonical token: "identity", "br", "zstd", "gzip", "deflate".
std::string_view coding_name(ContentCoding coding);
// A coding token, case-insensitive; "x-gzip" is gzip (RFC 9110 §8.4.1.3). Unknown: nullopt.
std::optional<ContentCoding> parse_coding_name(std::string_view token);

}  // namespace etagd::http
