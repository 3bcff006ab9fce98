// Parsed message heads. Every string_view points into the buffer holding the head bytes;
// that buffer must outlive the head (the connection keeps it until the exchange ends).
// Heads reach these parsers only after HeadScanner found them clean, and llhttp then
// checks the grammar once more (defence in depth; see head_scanner.h for why both).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/head_scanner.h"
#include "http/header_list.h"
#include "http/method.h"

namespace etagd::http {

struct RequestHead {
  Method method = Method::Other;
  std::string_view method_token;  // as sent ("GET", "PROPFIND")
  std::string_view target;        // origin-form: "/path?query", the path normalised
  std::string_view path;          // target up to '?'
  std::string_view query;         // after '?', without it; empty if none
  std::string_view raw_target;    // the target as sent (what the access log shows)
  // Where target, path and query point when normalisation changed the path
  // (http/path_normalisation.h); null otherwise. Held by pointer so that a copied or moved
  // head's views stay valid.
  std::shared_ptr<const std::string> normalised_target;
  int version_minor = 1;          // HTTP/1.x
  // 2 for a request that came over HTTP/2 (mapped onto this head, proxy/http2_request.h):
  // what Via names as the protocol received (RFC 9110 §7.6.3).
  int version_major = 1;
  HeaderList headers;             // every field line, in order
  std::string_view host;          // the Host field value as sent
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;         // RFC 9112 §9.3 defaults, then Connection: close / keep-alive
  bool expect_continue = false;   // Expect: 100-continue (RFC 9110 §10.1.1)

  bool has_body() const { return chunked || content_length.value_or(0) > 0; }
  void clear();
};

struct ResponseHead {
  int status = 0;
  std::string_view reason;
  int version_minor = 1;
  HeaderList headers;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;  // the upstream lets us reuse the connection after this response
  void clear();
};

// The error parse_request_head returns for an Expect other than 100-continue: the answer is
// 417 (RFC 9110 §10.1.1), not 400.
inline constexpr std::string_view kUnsupportedExpectation = "unsupported Expect";

// The checks every request passes whatever protocol carried it (HTTP/1.x here, HTTP/2 in
// proxy/http2_request.h), once method_token, target, version_minor and headers are set: it
// fills method, path, query, raw_target, host and expect_continue, and replaces the target by
// its normal form (dot segments removed, slashes merged: http/path_normalisation.h) so that
// rules, the cache key, invalidation and the upstream all see the same path; the query is
// kept as sent. Refused: CONNECT, a path that climbs above the root, a target that is not
// origin-form (absolute-form and asterisk-form: etagd is a reverse proxy, and an authority in
// the target that disagrees with Host is a cache-poisoning vector), a fragment, a missing
// (HTTP/1.1) or repeated or malformed Host (RFC 9112 §3.2), an Expect other than 100-continue.
// Returns the reason for the 400 (or kUnsupportedExpectation, 417), or an empty view.
std::string_view check_request(RequestHead& out);

// Parses a request head (the `length` bytes HeadScanner reported, starting after `skip`).
// On failure returns a short reason for the 400 answer; on success an empty view.
// Refused here beyond the scanner's checks: whatever check_request() refuses, and
// Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1).
std::string_view parse_request_head(std::string_view head, const HeadScan& scan, RequestHead& out);

// Parses a response head the same way. Failure means a 502 for the client.
std::string_view parse_response_head(std::string_view head, const HeadScan& scan,
                                     ResponseHead& out);

}  // namespace etagd::http
