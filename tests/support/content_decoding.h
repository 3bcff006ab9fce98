// Decodes a response body in one of the codings etagd produces, with the codec libraries
// themselves (zlib, libbrotlidec, libzstd): the tests check etagd's output against what a
// client's decoder makes of it, never against etagd's own code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace etagd::test {

// The decoded body for "gzip", "br" or "zstd"; nullopt when `encoded` is not one complete,
// valid stream in that coding (trailing bytes included) or the coding is another.
std::optional<std::string> decode_body(std::string_view coding, std::string_view encoded);

}  // namespace etagd::test
