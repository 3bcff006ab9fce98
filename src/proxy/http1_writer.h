// What etagd writes on an HTTP/1.1 client connection: a response head in HTTP/1.1 form, chunk
// framing, and etagd's own short answers (400, 408, 502...). Protocol-independent parts come
// from elsewhere: the field block (response_fields.h) and the error text (error_answer.h).
#pragma once

#include <event2/buffer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/body_framing.h"

namespace etagd::proxy {

struct Http1Head {
  int status = 200;
  int version_minor = 1;        // of the client's request: HTTP/1.0 clients get 1.0 semantics
  std::string_view date;        // preformatted HTTP-date
  std::string_view fields;      // "Name: value\r\n" lines
  int64_t age = -1;             // Age field, when >= 0
  std::string_view status_header;  // "X-Cache"; no cache-status field when empty
  std::string_view cache_status;   // "HIT"...; omitted when empty
  http::BodyFraming framing = http::BodyFraming::ContentLength;
  uint64_t content_length = 0;
  bool close = false;  // Connection: close, and the connection closes after this response
};

// Status line, Date, the field block, then Age, cache status, framing and Connection.
void append_http1_head(std::string& out, const Http1Head& head);

// etagd's own answer with a one-line text/plain reason (error_answer.h), always with
// Content-Length; the body is left out for HEAD. Returns the body bytes written.
size_t write_http1_error(evbuffer* out, int status, std::string_view reason, Http1Head head,
                         bool head_request);

// Chunked transfer coding, for bodies of unknown length sent to HTTP/1.1 clients.
void write_chunk(evbuffer* out, const char* data, size_t len);
void write_last_chunk(evbuffer* out);

}  // namespace etagd::proxy
