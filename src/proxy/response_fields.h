// The fields of an upstream response as clients get them, in any protocol: hop-by-hop and
// framing fields dropped, Cache-Control rewritten per rule, header edits applied, Via added;
// and the RFC 9111 §4.3.4 merge of an upstream 304 into a stored field block.
// The result is a block of "Name: value\r\n" lines: what a cache entry stores, and what a
// downstream turns into its own head (HTTP/1.1 text, HTTP/2 header list).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/rule.h"
#include "http/message_head.h"

namespace etagd::proxy {

// What the upstream lets caches after etagd (a browser's, a CDN) do with its response. The
// rule's Cache-Control replaces the upstream's only where it allows no more than this.
enum class DownstreamSharing {
  Any,          // the upstream did not restrict it
  PrivateOnly,  // a user agent's cache at most: private, or a Set-Cookie etagd did not store
  None,         // no cache at all: no-store
};

// The upstream response's DownstreamSharing, for an answer built from it. Its Cache-Control
// field (the one later caches read, not a targeted field addressed to etagd) restricts it by
// no-store (RFC 9111 §5.2.2.5) or unqualified private (§5.2.2.7), unless
// `stored_by_override`: the rule's ignore_upstream_cache_control made etagd store it, the
// operator's word that the upstream's Cache-Control is wrong. The upstream's Set-Cookie
// limits to private an answer that carries it (`with_set_cookie`): one etagd does not store,
// or the answer to the client a response stored without it (no-cache="Set-Cookie", or a
// Set-Cookie on a 304) was fetched for. A shared cache replaying it would hand that client's
// cookie to others.
DownstreamSharing upstream_sharing(const http::ResponseHead& upstream, bool stored_by_override,
                                   bool with_set_cookie);

// Whether an answer is one user's: the request carried credentials (carries_credentials,
// decide.h) and the upstream's Cache-Control field did not make the response shareable
// (public, s-maxage or must-revalidate, the directives RFC 9111 §3.5 accepts for sharing a
// response to a request with Authorization).
bool answer_is_per_user(const http::ResponseHead& upstream, bool request_carries_credentials);

struct ClientFieldOptions {
  const config::RuleActions* actions = nullptr;  // Cache-Control rewrite and header edits
  std::string_view status_header;                // our cache-status field: dropped if upstream sent it
  std::string_view etag;  // when non-empty, the ETag clients get (replaces the upstream's)
  int status = 200;       // picks the Cache-Control slot
  // A rule's Cache-Control that would allow more (one without no-store for None, without
  // private or no-store for PrivateOnly) is not written: the upstream's stays.
  DownstreamSharing upstream_allows = DownstreamSharing::Any;
  // The answer is one user's (answer_is_per_user): a rule's Cache-Control that lets shared
  // caches after etagd keep it is written with private (http::with_private), or a CDN that
  // reads must-revalidate or public as leave to share it would serve it to other users.
  bool per_user = false;
};

// Writes the upstream response's fields as clients get them into `block` ("Name: v\r\n"...):
// hop-by-hop fields, framing (Content-Length, Transfer-Encoding), Date and Age dropped (etagd
// writes those per response), and Etagd-Cache-Control, which is addressed to etagd alone
// (RFC 9213 §2); Cache-Control replaced per the rule, unless that would widen what the
// upstream allows (options.upstream_allows), made private for one user's answer
// (options.per_user); header edits applied; Via
// added. The fields a 304 must repeat (RFC 9110 §15.4.5: Cache-Control, Content-Location, ETag,
// Expires, Vary) come first; the return value is the length of that prefix.
size_t write_client_fields(std::string& block, const http::ResponseHead& upstream,
                           const ClientFieldOptions& options);

// The Cache-Control lines ("Cache-Control: v\r\n"...) write_client_fields() writes for
// `upstream` under `options`; empty when it writes none. For an answer whose Cache-Control
// differs from the stored response's (upstream_sharing: the one that carries a Set-Cookie
// kept from storage).
std::string cache_control_lines(const http::ResponseHead& upstream,
                                const ClientFieldOptions& options);

// RFC 9111 §4.3.4: the fields of an upstream 304 replace the stored response's fields of the
// same name. `stored` is a block write_client_fields() made; the result is that block with
// every field the 304 carries merged in, except what etagd writes itself (framing, Date, Age,
// the cache-status field, Via, hop-by-hop fields) and what the rule controls (a rewritten
// Cache-Control, header edits): those keep their stored value, so an edit is never applied
// twice however often an entry is revalidated. ETag lines become `options.etag`. The 304 set
// stays first; the return value is its length, as for write_client_fields().
size_t merge_not_modified_fields(std::string& merged, std::string_view stored,
                                 const http::ResponseHead& not_modified,
                                 const ClientFieldOptions& options);

// Moves every line of `block` whose field name is among `names` (any case) to the end of
// `taken`, keeping the order of the rest. What a shared cache must not hand to another client
// (RFC 9111 §5.2.2.4 and §5.2.2.7: the fields a qualified no-cache or private names; the
// Set-Cookie of a 304 that refreshes a stored response) leaves the stored block this way,
// while the client whose request fetched it still gets them.
void take_fields(std::string& block, const std::vector<std::string_view>& names,
                 std::string& taken);

}  // namespace etagd::proxy
