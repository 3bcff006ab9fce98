// Stored partial content in the exchange (RFC 9111 §3.3-3.4), for rules with `range: forward`:
// which Range requests go to the origin with their Range, which ones a stored 206 answers,
// which 206s are stored, and what a new part makes of the stored ones. Pure: the exchange
// fetches, stores and sends (cache/partial_content.h holds the byte ranges themselves).
//
// A partial entry is a CacheEntry with status 206 and parts (CacheEntry::part). It only ever
// answers a Range request whose every byte it holds; any other request for its URL is a miss,
// and it is never revalidated or served stale: the whole response, fetched, replaces it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cache/cache_entry.h"
#include "cache/partial_content.h"
#include "config/rule.h"
#include "http/byte_range.h"
#include "http/message_head.h"
#include "proxy/range_answer.h"

namespace etagd::proxy {

// A GET with one Range field of byte ranges under a `range: forward` rule: on a miss its Range
// goes to the origin. (Several Range lines, another unit or a malformed value make a request
// for the whole representation, RFC 9110 §14.2.)
bool forwards_range(const http::RequestHead& request, const config::RuleActions& rule);

// Whether `partial` holds every byte `request` asks for, with any If-Range matching its
// validator (RFC 9110 §13.1.5): then it answers from memory.
bool partial_covers(const http::RequestHead& request, const cache::CacheEntry& partial);

// A partial entry's answer: the request's ranges when the entry holds them all, else every part
// it holds (a 206 just fetched whose origin sent another range than was asked: its answer
// stands, §15.3.7 lets a server send less or more).
RangeAnswer plan_partial(const http::RequestHead& request, const cache::CacheEntry& partial);

// A 206 from the origin that may be stored: one Content-Range with a known complete length up
// to `max_object_size` (a partial entry never grows past what a whole one may be) and a strong
// validator. Anything else (multipart/byteranges, "bytes 0-9/*", a weak ETag) is passed on.
struct StorablePart {
  http::ByteRange range;
  uint64_t complete_length = 0;
  cache::PartValidator validator;
};
std::optional<StorablePart> storable_part(const http::ResponseHead& head,
                                          uint64_t max_object_size);

// The parts stored with the new one: `stored` (the partial entry for the same URL and variant,
// or null) with `bytes` added when its validator and complete length are the part's (§3.4:
// combined only when strong validators match), else `bytes` alone (the new response replaces
// the old). Also alone when combining would exceed CacheEntry::kMaxParts.
cache::PartialContent combine(const cache::CacheEntry* stored, const StorablePart& part,
                              std::string_view bytes);

// Bytes [range] of the representation that `entry` holds (its body, or one of its parts);
// the range must be held.
std::string_view held_bytes(const cache::CacheEntry& entry, const http::ByteRange& range);

// The length of the representation: the body's, or a partial entry's complete length.
uint64_t representation_length(const cache::CacheEntry& entry);

}  // namespace etagd::proxy
