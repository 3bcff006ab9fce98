// How a message body is delimited on an HTTP/1.1 connection (RFC 9112 §6): one enum for both
// directions, the upstream's responses etagd reads and the responses it writes.
#pragma once

#include "http/message_head.h"

namespace etagd::http {

enum class BodyFraming {
  None,            // no body: HEAD, 1xx, 204, 304, or a zero Content-Length
  ContentLength,   // exactly Content-Length bytes
  Chunked,         // transfer-coding chunked, ended by the last chunk
  CloseDelimited,  // everything until the connection closes (RFC 9112 §6.3 item 8)
};

// RFC 9112 §6.3: how the body of `response` is delimited; `head_request` when it answers
// HEAD. Chunked wins over Content-Length (a response with both never gets here: the head
// parser refuses it).
BodyFraming response_body_framing(bool head_request, const ResponseHead& response);

}  // namespace etagd::http
