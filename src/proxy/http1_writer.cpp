#include "proxy/http1_writer.h"

#include <cstdio>

#include "http/field_writer.h"
#include "http/status.h"
#include "proxy/error_answer.h"

namespace etagd::proxy {

using http::append_decimal;
using http::append_field;

void append_http1_head(std::string& out, const Http1Head& h) {
  out.reserve(out.size() + 128 + h.fields.size());
  // RFC 9110 §6.2: a server sends its own version (1.1) even to HTTP/1.0 clients; what
  // changes for them is keep-alive, which needs an explicit Connection: keep-alive.
  out += "HTTP/1.1 ";
  append_decimal(out, static_cast<uint64_t>(h.status));
  out += ' ';
  out.append(http::reason_phrase(h.status));
  out += "\r\nDate: ";
  out.append(h.date);
  out += "\r\n";
  out.append(h.fields);
  if (h.age >= 0) {
    out += "Age: ";
    append_decimal(out, static_cast<uint64_t>(h.age));
    out += "\r\n";
  }
  if (!h.cache_status.empty() && !h.status_header.empty()) {
    append_field(out, h.status_header, h.cache_status);
  }
  switch (h.framing) {
    case http::BodyFraming::None:
    case http::BodyFraming::CloseDelimited:
      break;
    case http::BodyFraming::ContentLength:
      out += "Content-Length: ";
      append_decimal(out, h.content_length);
      out += "\r\n";
      break;
    case http::BodyFraming::Chunked:
      out += "Transfer-Encoding: chunked\r\n";
      break;
  }
  if (h.close) {
    out += "Connection: close\r\n";
  } else if (h.version_minor == 0) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
}

size_t write_http1_error(evbuffer* out, int status, std::string_view reason, Http1Head head,
                         bool head_request) {
  std::string body = error_answer_body(status, reason);
  head.status = status;
  head.fields = kErrorAnswerFields;
  head.framing = http::BodyFraming::ContentLength;
  head.content_length = body.size();
  std::string text;
  append_http1_head(text, head);
  if (!head_request) text += body;
  evbuffer_add(out, text.data(), text.size());
  return head_request ? 0 : body.size();
}

void write_chunk(evbuffer* out, const char* data, size_t len) {
  if (len == 0) return;  // a zero-size chunk would end the body
  char size[24];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", len);
  evbuffer_add(out, size, static_cast<size_t>(n));
  evbuffer_add(out, data, len);
  evbuffer_add(out, "\r\n", 2);
}

void write_last_chunk(evbuffer* out) { evbuffer_add(out, "0\r\n\r\n", 5); }

}  // namespace etagd::proxy
