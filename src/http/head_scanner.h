// Finds the end of a message head in raw bytes and checks those bytes before llhttp sees them.
//
// Debian 12's llhttp 8.1 predates its 2023-24 smuggling fixes: it accepts a bare CR as a line
// end (CVE-2023-30589), obs-fold continuation lines, an empty field name, "\r\n\rZ" ending the
// head, and "Transfer-Encoding: ,chunked". So nothing reaches llhttp until this scanner has
// seen the whole head and found it clean:
//   - every line ends in CRLF; a CR not followed by LF, or an LF not preceded by CR, is invalid;
//   - no NUL, no control byte other than HTAB (field values and reason phrase only), no DEL;
//   - a field line starts with a token character (so no obs-fold, RFC 9112 §5.2, and no empty
//     name) and the name is token characters followed directly by ':' (no white space, §5.1);
//   - Transfer-Encoding appears at most once and is exactly "chunked" (case-insensitive,
//     after leading SPs; no HTAB, nothing after it: "chunked\t" and "chunked " are TE.TE
//     obfuscations that parsers read differently); Content-Length appears at most once and
//     is 1*DIGIT up to INT64_MAX, OWS trimmed; a head with both is invalid (RFC 9112 §6.3);
//   - at most max_fields field lines, and at most max_bytes bytes up to the end of the head
//     (skipped empty lines included); both kinds may use no transfer coding but chunked;
//   - request line: token SP target SP "HTTP/1.x", single SPs, no HTAB; "HTTP/2.0" (the
//     "PRI *" preface) and HTTP/0.9 are Invalid. Status line: "HTTP/1.x" SP 3DIGIT (100-599)
//     [SP reason], HTAB allowed in the reason.
// Empty lines before the start line are skipped (RFC 9112 §2.2) and reported as `skip`.
// Errors are reported as soon as the offending line (or byte) is seen, before the end of head.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace etagd::http {

enum class HeadKind { Request, Response };

struct HeadLimits {
  size_t max_bytes = 16 * 1024;  // whole head with its final CRLF CRLF and skipped empty lines
  size_t max_fields = 100;
};

struct HeadScan {
  enum class Status {
    NeedMore,  // no end of head yet and still under the limits
    Complete,  // [skip, skip + length) is a clean head ending in CRLF CRLF
    Invalid,   // bad bytes or framing: answer 400 (request) / 502 (response) and close
    TooLarge,  // max_bytes or max_fields exceeded: answer 431 (request) / 502 (response)
  };
  Status status = Status::NeedMore;
  size_t skip = 0;          // leading empty lines to discard before the head
  size_t length = 0;        // head length, when Complete
  std::string_view reason;  // short static text for the error answer, when Invalid/TooLarge
  std::optional<uint64_t> content_length;  // when Complete and present
  bool chunked = false;                    // when Complete: Transfer-Encoding: chunked
};

// Scans a growing buffer. Call scan() each time more bytes arrived, passing the whole buffer
// from its start (the same bytes as before, plus new ones); work already done is not repeated,
// so a head that arrives one byte at a time costs O(n), not O(n^2). reset() before the next head.
class HeadScanner {
 public:
  HeadScanner(HeadKind kind, HeadLimits limits) : kind_(kind), limits_(limits) {}

  HeadScan scan(std::string_view buffer);
  void reset();

 private:
  HeadScan finish(HeadScan::Status status, std::string_view reason);
  void on_line(std::string_view line);
  void on_field_line(std::string_view line);
  static std::string_view check_request_line(std::string_view line);
  static std::string_view check_status_line(std::string_view line);

  HeadKind kind_;
  HeadLimits limits_;
  // Resumable state: everything before pos_ has been checked, and every complete line before
  // line_start_ has been parsed. result_ holds skip, framing so far, and the final verdict,
  // which stays put (a later scan() returns it unchanged) until reset().
  HeadScan result_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  size_t fields_ = 0;
  bool in_start_line_ = true;
};

}  // namespace etagd::http
