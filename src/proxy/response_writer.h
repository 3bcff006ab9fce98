// Serialises what etagd sends to clients: response heads (for stored entries and for
// responses passed through), chunk framing, and etagd's own short error answers.
#pragma once

#include <event2/buffer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "config/rule.h"
#include "http/message_head.h"

namespace etagd::proxy {

struct ClientFieldOptions {
  const config::RuleActions* actions = nullptr;  // Cache-Control rewrite and header edits
  std::string_view status_header;                // our cache-status field: dropped if upstream sent it
  std::string_view etag;  // when non-empty, the ETag clients get (replaces the upstream's)
  int status = 200;       // picks the Cache-Control slot
};

// Writes the upstream response's fields as clients get them into `block` ("Name: v\r\n"...):
// hop-by-hop fields, framing (Content-Length, Transfer-Encoding), Date and Age dropped (etagd
// writes those per response); Cache-Control replaced per the rule; header edits applied; Via
// added. The fields a 304 must repeat (RFC 9110 §15.4.5: Cache-Control, Content-Location, ETag,
// Expires, Vary) come first; the return value is the length of that prefix.
size_t write_client_fields(std::string& block, const http::ResponseHead& upstream,
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

enum class BodyFraming { None, ContentLength, Chunked, CloseDelimited };

struct ClientHeadOptions {
  int status = 200;
  int version_minor = 1;        // of the client's request: HTTP/1.0 clients get 1.0 semantics
  std::string_view date;        // preformatted HTTP-date
  int64_t age = -1;             // Age field, when >= 0
  std::string_view status_header;  // "X-Cache"
  std::string_view cache_status;   // "HIT"...; omitted when empty
  BodyFraming framing = BodyFraming::ContentLength;
  uint64_t content_length = 0;
  bool close = false;  // Connection: close, and the connection closes after this response
};

// Status line, Date, the field block, then Age, cache status, framing and Connection.
void write_client_head(evbuffer* out, std::string_view fields, const ClientHeadOptions& options);
// The same, appended to a string.
void append_client_head(std::string& head, std::string_view fields,
                        const ClientHeadOptions& options);

// etagd's own answer: a one-line text/plain reason, always with Content-Length. `head` gives
// status, version, date, close and (for answers to proxied requests) Age and cache status;
// framing is filled in here. Returns the body bytes written (0 for a HEAD request).
size_t write_error_response(evbuffer* out, std::string_view reason, ClientHeadOptions head,
                          bool head_request);

// Chunked transfer coding, for bodies of unknown length sent to HTTP/1.1 clients.
void write_chunk(evbuffer* out, const char* data, size_t len);
void write_last_chunk(evbuffer* out);

}  // namespace etagd::proxy
