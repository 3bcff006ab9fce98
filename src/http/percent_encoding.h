// Percent-decoding of URI components (RFC 3986 §2.1).
#pragma once

#include <string>
#include <string_view>

namespace etagd::http {

// `s` with every "%XX" (two hex digits) replaced by the byte it encodes. A '%' not followed by
// two hex digits is kept as it is: etagd decodes to compare, never to reject.
std::string percent_decode(std::string_view s);

}  // namespace etagd::http
