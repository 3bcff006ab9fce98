// The encoded representations etagd makes of an upstream response it answers itself
// (http/encoder.h, config/compress_policy.h): whether a response may be encoded at all, and
// what each encoded representation looks like to a client.
//
// Each representation is a different set of bytes, so each gets its own strong validator
// (RFC 9110 §8.8.3): the identity ETag with the coding appended inside the quotes,
// "abc" -> "abc-br", W/"abc" -> W/"abc-br". The tag still depends only on the content and
// the coding, so every worker and instance agrees on it; a client holding the br bytes
// revalidates with "abc-br" and gets a 304 only for the br representation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_entry.h"
#include "config/compress_policy.h"
#include "http/cache_control.h"
#include "http/content_coding.h"
#include "http/message_head.h"

namespace etagd::proxy {

// True when etagd may encode this upstream response under `policy`: a 200 whose upstream
// did not encode it already (Content-Encoding), does not negotiate codings itself (Vary
// naming Accept-Encoding: its own choice is respected, and stored per accepted set), does
// not forbid transformation (Cache-Control: no-transform, RFC 9110 §7.7), of a media type in
// `types`, with a body of at least `min_size` bytes.
bool may_encode(const config::CompressPolicy& policy, const http::ResponseHead& head,
                const http::CacheControl& upstream_cc, uint64_t body_size);

// The ETag of the `coding` representation of a response whose identity ETag is
// `identity_etag`; "" when that is "" or not an entity-tag.
std::string representation_etag(std::string_view identity_etag, http::ContentCoding coding);

// A validator list (If-None-Match, If-Match) as the upstream must see it. The upstream only
// knows its own tags, so each member that is the representation ETag of one of `codings`
// ("abc-br") is followed by its identity form ("abc"): a client revalidating the br bytes it
// holds gets the upstream's 304, and a write guarded by If-Match with the tag it saw is
// compared with the state it saw. "" when no member needed it.
std::string with_identity_etags(std::string_view list,
                                const std::vector<http::ContentCoding>& codings);

// The ETag an upstream 304 for `upstream_etag` gives the client whose If-None-Match was
// `if_none_match` (RFC 9110 §15.4.5: the one its 200 would have carried): the member naming a
// representation of `upstream_etag` that the client holds, `chosen`'s when it sent several;
// "" when it named only the identity tag (or none), which then stands as it is.
std::string client_etag_for_upstream_304(std::string_view if_none_match,
                                         std::string_view upstream_etag,
                                         const std::vector<http::ContentCoding>& codings,
                                         http::ContentCoding chosen);

// The identity field block with "Vary: Accept-Encoding" first (a 304 repeats it, RFC 9110
// §15.4.5), unless one of its Vary lines already names Accept-Encoding.
std::string with_vary_accept_encoding(std::string_view identity_block);

// The field block of the `coding` representation: the identity block (with Vary) with its
// ETag line's value replaced by `etag` (or left out when `etag` is empty) and
// Content-Encoding added.
std::string representation_fields(std::string_view identity_block, std::string_view etag,
                                  http::ContentCoding coding);

// `block` with its ETag line's value replaced by `etag`, every other line as it was.
std::string replace_etag_field(std::string_view block, std::string_view etag);

// Encodes `body` in each of `codings` (at the policy's levels) and keeps the representations
// smaller than the body itself: a coding that does not shrink it is not worth a Vary. Their
// field blocks are made from `identity_block` (already with Vary) and `identity_etag`.
std::vector<cache::EncodedRepresentation> encode_representations(
    const config::CompressPolicy& policy, const std::vector<http::ContentCoding>& codings,
    std::string_view identity_block, std::string_view identity_etag, std::string_view body);

// The field blocks and ETags an entry's encoded representations get after an upstream 304
// refreshed the identity block (RFC 9111 §4.3.4): same codings and order, bodies empty
// (CacheEntry::refreshed() keeps the stored ones).
std::vector<cache::EncodedRepresentation> refreshed_representations(
    const cache::CacheEntry& stale, std::string_view identity_block,
    std::string_view identity_etag);

}  // namespace etagd::proxy
