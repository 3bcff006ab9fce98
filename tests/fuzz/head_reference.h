// A second, deliberately naive reading of the HeadScanner contract (src/http/head_scanner.h),
// used as a differential oracle: it sees the whole input at once, splits it at CRLF and checks
// each line against the rules as written in the header comment. It shares no code with the
// scanner, so a scanner bug (a missed byte class, an off-by-one at a limit, state that leaks
// between calls) shows up as a disagreement on whether a head is clean.
//
// It only decides "a clean complete head" or not; which error the scanner reports first is
// the scanner's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "http/head_scanner.h"

namespace etagd::fuzz {

struct ReferenceHead {
  bool complete = false;  // a clean head, ending in CRLF CRLF, within the limits
  size_t skip = 0;
  size_t length = 0;
  size_t fields = 0;
  std::optional<uint64_t> content_length;
  bool chunked = false;
};

ReferenceHead reference_scan(http::HeadKind kind, http::HeadLimits limits, std::string_view input);

}  // namespace etagd::fuzz
