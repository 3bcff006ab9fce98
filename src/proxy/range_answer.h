// Range requests answered from a stored response (RFC 9110 §14): which part of the body a GET
// gets, and the framing of a 206 with several parts (multipart/byteranges, §14.6). Pure: the
// exchange sends the parts by reference to the entry's body, so a 206 from memory copies no
// body byte either.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_entry.h"
#include "http/byte_range.h"
#include "http/message_head.h"

namespace etagd::proxy {

struct RangeAnswer {
  enum class Kind {
    Whole,          // 200: no Range, a Range ignored, or an If-Range that does not match
    Partial,        // 206 with `ranges` (one: Content-Range; more: multipart/byteranges)
    Unsatisfiable,  // 416 with Content-Range: bytes */length
  };
  Kind kind = Kind::Whole;
  std::vector<http::ByteRange> ranges;
};

// For a GET that would be answered with the stored 200 `entry` (after If-None-Match and
// If-Modified-Since: a 304 comes first, §13.2.2). Range is defined for GET only (§14.2);
// If-Range (§13.1.5) turns a Range whose validator no longer matches into the whole 200.
RangeAnswer plan_range(const http::RequestHead& request, const cache::CacheEntry& entry);

// "bytes 0-99/1000".
std::string content_range(const http::ByteRange& range, uint64_t length);

// The bytes around the parts of a multipart/byteranges body: part_heads[i] goes before
// range i, `closing` after the last; content_length counts everything.
struct MultipartLayout {
  std::vector<std::string> part_heads;
  std::string closing;
  uint64_t content_length = 0;
};
MultipartLayout multipart_layout(const std::vector<http::ByteRange>& ranges, uint64_t length,
                                 std::string_view content_type, std::string_view boundary);

// A boundary that no body can be made to contain on purpose: random per answer (RFC 2046
// §5.1.1 allows up to 70 characters; these are 30).
std::string multipart_boundary();

// A stored field block without its Content-Type lines (a multipart 206 has its own), and the
// first Content-Type value of a block ("" when there is none).
std::string without_content_type(std::string_view block);
std::string_view content_type_of(std::string_view block);

}  // namespace etagd::proxy
