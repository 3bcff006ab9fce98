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

// The identity field block with "Vary: Accept-Encoding" first (a 304 repeats it, RFC 9110
// §15.4.5), unless one of its Vary lines already names Accept-Encoding.
std::string with_vary_accept_encoding(std::string_view identity_block);

// The field block of the `coding` representation: the identity block (with Vary) with its
// ETag line's value replaced by `etag` (or left out when `etag` is empty) and
// Content-Encoding added.
std::string representation_fields(std::string_view identity_block, std::string_view etag,
                                  http::ContentCoding coding);

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
