// Range requests (RFC 9110 §14): the bytes= ranges of a Range field resolved against a
// representation's length, and the If-Range precondition (§13.1.5).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace etagd::http {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t size() const { return last - first + 1; }
  bool operator==(const ByteRange&) const = default;
};

struct RangeRequest {
  enum class Outcome {
    Ignored,        // no Range, another unit, malformed: answer the whole representation (200)
    Satisfiable,    // answer `ranges` (206)
    Unsatisfiable,  // no range overlaps the representation (416)
  };
  Outcome outcome = Outcome::Ignored;
  // Satisfiable: clipped to the representation, in ascending order, overlapping and adjacent
  // ranges merged (§14.2 lets a server coalesce them; it also stops a request for many
  // overlapping ranges from multiplying the answer).
  std::vector<ByteRange> ranges;
};

// More ranges than this (after merging) are answered with the whole representation, as
// §14.2 allows for "many small ranges": one small request must not cost many multipart parts.
inline constexpr size_t kMaxRanges = 16;

// Resolves a Range field value (RFC 9110 §14.1.2: "bytes=0-99", "bytes=500-", "bytes=-500",
// comma-separated) against a representation of `length` bytes. A syntactically invalid value
// or another unit is ignored (§14.2); ranges starting at or past the end are dropped, and when
// none remains the request is unsatisfiable.
RangeRequest resolve_range(std::string_view value, uint64_t length);

// A 206's Content-Range for one part (RFC 9110 §14.4): "bytes 0-99/1000" or "bytes 0-99/*".
struct ContentRange {
  ByteRange range;
  std::optional<uint64_t> complete_length;  // nullopt: "*", the length was not known
};

// Parses a Content-Range field value for a byte range. nullopt for another unit, the
// unsatisfied form ("bytes */1000"), a last before first, or a range that ends at or past a
// known complete length (§14.4: such a field is invalid).
std::optional<ContentRange> parse_content_range(std::string_view value);

// RFC 9110 §13.1.5: whether a Range may be applied given the request's If-Range value. An
// entity-tag must match `etag` strongly (a weak tag never does); an HTTP-date must equal
// `last_modified` exactly. An unparsable value never matches.
bool if_range_matches(std::string_view if_range, std::string_view etag,
                      std::optional<int64_t> last_modified);

}  // namespace etagd::http
