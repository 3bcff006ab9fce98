// HTTP/1.1 message syntax (RFC 9112) as the test tools read and write it.
// Deliberately independent of src/http: the tests must not share the code they check.
// Parsing is strict about what etagd is supposed to emit (CRLF line ends, token field names,
// no obs-fold), so a sloppy byte from etagd fails a test instead of being tolerated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/header_fields.h"
#include "support/socket_stream.h"

namespace etagd::testing {

struct RequestLine {
  std::string method;
  std::string target;
  std::string version;  // "HTTP/1.1"
};

struct StatusLine {
  std::string version;
  int status = 0;
  std::string reason;
};

// Splits a message head (everything up to and including the empty line) into its start line
// and its fields. Returns false with *error set on bad syntax.
bool parse_head(std::string_view head, std::string& start_line, HeaderFields& fields,
                std::string* error);
bool parse_request_line(std::string_view line, RequestLine& out);
bool parse_status_line(std::string_view line, StatusLine& out);

// How a message body is delimited (RFC 9112 §6.3).
struct BodyFraming {
  enum Kind { none, length, chunked, until_close, invalid } kind = none;
  uint64_t content_length = 0;  // for `length`
  std::string problem;          // for `invalid`
};
// A request has a body only if Transfer-Encoding or Content-Length says so.
BodyFraming request_framing(const HeaderFields& headers);
// A response to HEAD, any 1xx, 204 and 304 has no body whatever its fields say;
// otherwise chunked, then Content-Length, then read until the server closes.
BodyFraming response_framing(std::string_view request_method, int status,
                             const HeaderFields& headers);

// Reads a chunked body (RFC 9112 §7.1) from the stream: data appended to `body`, trailer
// fields to `trailers`. *error describes a syntax problem (status malformed / too_large).
IoStatus read_chunked_body(SocketStream& stream, Deadline deadline, size_t max_body,
                           std::string& body, HeaderFields& trailers, std::string* error);

// The chunked encoding of `chunks` (empty strings are skipped: a zero-size chunk would end
// the body), a last-chunk, the trailer fields and the final CRLF.
std::string encode_chunked(const std::vector<std::string>& chunks,
                           const HeaderFields& trailers = {});

// Standard reason phrase for a status code, "Unknown" for codes without one.
const char* reason_phrase(int status);

}  // namespace etagd::testing
