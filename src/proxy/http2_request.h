// One HTTP/2 request's fields as they arrive (HPACK-decoded by nghttp2), and the HTTP/1.1
// RequestHead the exchange takes, made of them per RFC 9113 §8.3.1: :method, :path and
// :authority become the method, the target and Host; the rest of the checks are the ones an
// HTTP/1.1 request passes (http::check_request).
//
// nghttp2 has already refused, with a stream error PROTOCOL_ERROR (RFC 9113 §8.1.1), what is
// malformed at the HTTP/2 level: missing, repeated or unknown pseudo-header fields, one after
// a regular field, uppercase names, connection-specific fields (§8.2.2), and a content-length
// that DATA does not match. What is left here is HTTP semantics.
//
// The names and values are copied into one string as they come (nghttp2's buffers do not
// outlive its callback); the views of the RequestHead point into it once it is complete, so a
// request costs one growing string and no allocation per field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message_head.h"

namespace etagd::proxy {

class Http2RequestFields {
 public:
  // A field as nghttp2 reports it (lowercase name; pseudo-header fields first).
  void add(std::string_view name, std::string_view value);
  // Bytes of names and values so far, as SETTINGS_MAX_HEADER_LIST_SIZE counts them
  // (RFC 9113 §6.5.2: 32 per field on top), and the number of fields.
  uint64_t list_size() const { return list_size_; }
  size_t count() const { return fields_.size(); }

  // The content-length field's value, while the body is still coming (a request that
  // announces more than the limit is refused before it is sent); nullopt if absent or invalid.
  std::optional<uint64_t> announced_length() const;

  // Fills `out` (views into this object, which must outlive it). Returns the reason for a
  // 400 (or http::kUnsupportedExpectation, 417), or an empty view.
  std::string_view make_head(http::RequestHead& out);

 private:
  struct Span {
    uint32_t offset = 0;
    uint32_t length = 0;
  };
  struct Field {
    Span name;
    Span value;
  };
  Span append(std::string_view s);
  std::string_view view(Span s) const { return std::string_view(bytes_).substr(s.offset, s.length); }

  std::string bytes_;
  std::vector<Field> fields_;  // regular fields, in order (cookies among them)
  Span method_, path_, authority_;
  bool has_authority_ = false;
  uint64_t list_size_ = 0;
};

}  // namespace etagd::proxy
