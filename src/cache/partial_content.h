// Stored partial content (RFC 9111 §3.3-3.4): the parts of one representation that 206
// responses have brought, kept so that a later Range request inside them needs no origin
// request, and combined into the whole representation once they cover it. Plain data and
// free functions; the proxy decides when a 206 is stored and serves from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_entry.h"
#include "http/byte_range.h"

namespace etagd::cache {

// What tells two 206s apart as parts of the same representation. §3.4 allows combining only
// when both carry strong validators that match: a strong entity-tag, or a Last-Modified that
// the response's own Date shows to be strong (RFC 9110 §8.8.2.2: at least one second earlier).
struct PartValidator {
  std::string etag;                      // strong entity-tag as sent; empty: Last-Modified decides
  std::optional<int64_t> last_modified;  // only when etag is empty
  bool operator==(const PartValidator&) const = default;
};

// The strong validator of a 206 (etag: the ETag field, "" when absent), or nullopt when it
// has none: such a part can never be combined with another, so it is not stored. A weak
// entity-tag is no validator here, and a Last-Modified beside it does not make up for it
// (the origin said the representation is only weakly identified).
std::optional<PartValidator> strong_validator(std::string_view etag,
                                              std::optional<int64_t> last_modified,
                                              std::optional<int64_t> date);

// Bytes [first, first + bytes.size()) of the representation.
struct StoredPart {
  uint64_t first = 0;
  std::string bytes;  // never empty
  uint64_t last() const { return first + bytes.size() - 1; }
};

struct PartialContent {
  uint64_t complete_length = 0;  // from Content-Range; a 206 without one is not stored
  PartValidator validator;
  // The header set of the last 206 combined (RFC 9111 §3.4: the fields of the newest part
  // are the ones used), without Content-Range and Content-Length.
  std::string header_block;
  // Ascending, disjoint and never adjacent: a part that touches another is merged into it.
  std::vector<StoredPart> parts;
};

// Adds bytes [first, first + bytes.size()) (within complete_length; empty is a no-op),
// merging with every part it overlaps or touches. Where it overlaps stored bytes the new
// bytes are kept: with matching strong validators they are the same bytes anyway.
void add_part(PartialContent& content, uint64_t first, std::string_view bytes);

// True when every byte of `range` is stored.
bool covers(const PartialContent& content, const http::ByteRange& range);

// The stored bytes of `range`; requires covers(content, range).
std::string_view slice(const PartialContent& content, const http::ByteRange& range);

// True when the parts are the whole representation: one part, from 0 to complete_length - 1.
bool is_complete(const PartialContent& content);

// Bytes stored (bodies and header block), for the cache's memory charge.
uint64_t stored_bytes(const PartialContent& content);

// The parts a stored 206 holds, copied out with its complete length, validator and header
// block, to add a new part to (an entry is immutable: combining builds a new one).
PartialContent partial_of(const CacheEntry& entry);

// Moves the parts into `r` for CacheEntry::make: their ranges, bytes (one after another) and
// the complete length. The caller sets the status (206).
void put_parts(PartialContent&& content, ResponseToStore& r);

}  // namespace etagd::cache
