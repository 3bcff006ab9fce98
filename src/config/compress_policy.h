// What a rule's `compress` block asks for: which content codings etagd produces itself
// (http/encoder.h), for which media types, from which body size, at which level.
//
//   compress:
//     encodings: [br, zstd, gzip]        # preference order when the client's q-values tie
//     types: [application/json, "text/*", application/javascript, application/xml, image/svg+xml]
//     min_size: 512B
//     level: { br: 5, zstd: 6, gzip: 6 }
//
// A block that leaves a key out gets the value above; `compress: on` is all of them and
// `compress: off` (the default) none. A rule's block starts from what it inherits from
// `defaults`, so `compress: { min_size: 4KiB }` in a rule changes only the size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/content_coding.h"

namespace etagd::config {

struct CompressPolicy {
  // Off, with the documented encodings and types (filled in out of line: GCC 12 warns about
  // an inline initializer list of enums, a false maybe-uninitialized).
  CompressPolicy();

  bool enabled = false;
  std::vector<http::ContentCoding> encodings;  // br, zstd, gzip: preference order on ties
  // Lowercase "type/subtype", or "type/*" for every subtype.
  std::vector<std::string> types;
  uint64_t min_size = 512;
  int level_br = 5;
  int level_zstd = 6;
  int level_gzip = 6;

  int level(http::ContentCoding coding) const;
  // True for a Content-Type value whose media type (parameters ignored, any case) is one
  // of `types` (RFC 9110 §8.3.1).
  bool compresses_type(std::string_view content_type) const;
  bool operator==(const CompressPolicy&) const = default;
};

// The media type of a Content-Type value, without parameters or white space, lowercase
// ("Application/JSON; charset=utf-8" -> "application/json"); "" when it is not type/subtype.
std::string media_type_of(std::string_view content_type);

}  // namespace etagd::config
