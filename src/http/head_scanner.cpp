#include "http/head_scanner.h"

#include <array>

#include "http/token.h"

namespace etagd::http {

namespace {

// What a byte may be, before knowing where in the head it is. Everything that is invalid
// anywhere is rejected as soon as it is seen, even in a line not yet complete, so garbage
// (a TLS ClientHello, a binary protocol) is refused at its first bytes.
enum class ByteClass : uint8_t { Plain, Htab, Cr, Lf, Nul, Control };

constexpr std::array<ByteClass, 256> make_byte_classes() {
  std::array<ByteClass, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = ByteClass::Control;
  t[0x7f] = ByteClass::Control;  // DEL
  t[0] = ByteClass::Nul;
  t['\t'] = ByteClass::Htab;
  t['\r'] = ByteClass::Cr;
  t['\n'] = ByteClass::Lf;
  return t;  // SP, VCHAR and obs-text (0x80-0xFF) stay Plain
}
constexpr std::array<ByteClass, 256> kByteClass = make_byte_classes();


bool is_digit(char c) { return c >= '0' && c <= '9'; }

// HTTP-version = HTTP-name "/" DIGIT "." DIGIT, HTTP-name = %s"HTTP" (RFC 9112 §2.3).
// Returns the major version digit, or -1 if `v` is not exactly that shape.
int parse_version(std::string_view v) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || !is_digit(v[5]) || v[6] != '.' ||
      !is_digit(v[7])) {
    return -1;
  }
  return v[5] - '0';
}

// Content-Length = 1*DIGIT (RFC 9110 §8.6). No sign, no list, no white space inside;
// values that do not fit in int64 are refused rather than wrapped (a wrapped length is a
// smuggling primitive).
bool parse_content_length(std::string_view v, uint64_t& out) {
  if (v.empty()) return false;
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  uint64_t n = 0;
  for (char c : v) {
    if (!is_digit(c)) return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (kMax - d) / 10) return false;
    n = n * 10 + d;
  }
  out = n;
  return true;
}

}  // namespace

void HeadScanner::reset() { *this = HeadScanner(kind_, limits_); }

HeadScan HeadScanner::finish(HeadScan::Status status, std::string_view reason) {
  result_.status = status;
  result_.reason = reason;
  if (status != HeadScan::Status::Complete) {
    result_.length = 0;
    result_.content_length.reset();
    result_.chunked = false;
  }
  return result_;
}

HeadScan HeadScanner::scan(std::string_view buffer) {
  if (result_.status != HeadScan::Status::NeedMore) return result_;
  const size_t max_bytes = limits_.max_bytes;
  const size_t limit = buffer.size() < max_bytes ? buffer.size() : max_bytes;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(buffer.data());

  while (pos_ < limit) {
    // Most bytes are plain: skip them without the switch.
    while (pos_ < limit && kByteClass[p[pos_]] == ByteClass::Plain) ++pos_;
    if (pos_ == limit) break;
    switch (kByteClass[p[pos_]]) {
      case ByteClass::Plain:
      case ByteClass::Htab:  // allowed or not depending on the line: checked in on_line()
        ++pos_;
        continue;
      case ByteClass::Cr:
        // The LF must follow. If it cannot arrive within the limit the head is too large;
        // if it has not arrived yet, look at this CR again next time.
        if (pos_ + 1 >= max_bytes) return finish(HeadScan::Status::TooLarge, "head too large");
        if (pos_ + 1 >= buffer.size()) return result_;
        // RFC 9112 §2.2: a bare CR is invalid (CVE-2023-30589: llhttp 8.1 takes it as a
        // line end, so a header hidden behind it would be seen by llhttp but not by us).
        if (p[pos_ + 1] != '\n') return finish(HeadScan::Status::Invalid, "bare CR in head");
        {
          std::string_view line = buffer.substr(line_start_, pos_ - line_start_);
          pos_ += 2;
          line_start_ = pos_;
          on_line(line);
        }
        if (result_.status != HeadScan::Status::NeedMore) return result_;
        continue;
      case ByteClass::Lf:
        return finish(HeadScan::Status::Invalid, "bare LF in head");
      case ByteClass::Nul:
        return finish(HeadScan::Status::Invalid, "NUL byte in head");
      case ByteClass::Control:
        return finish(HeadScan::Status::Invalid, "control character in head");
    }
  }
  if (pos_ >= max_bytes) return finish(HeadScan::Status::TooLarge, "head too large");
  return result_;
}

void HeadScanner::on_line(std::string_view line) {
  if (in_start_line_) {
    if (line.empty()) {
      // RFC 9112 §2.2: ignore empty lines before the start line (e.g. a client's stray CRLF
      // after a POST body). They count against max_bytes, so they cannot go on forever.
      result_.skip += 2;
      return;
    }
    in_start_line_ = false;
    std::string_view error =
        kind_ == HeadKind::Request ? check_request_line(line) : check_status_line(line);
    if (!error.empty()) finish(HeadScan::Status::Invalid, error);
    return;
  }
  if (line.empty()) {
    result_.length = pos_ - result_.skip;
    finish(HeadScan::Status::Complete, {});
    return;
  }
  on_field_line(line);
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 §3), with exactly one SP
// between the parts: a server that splits on runs of white space disagrees with one that
// does not, and that disagreement is what smuggling feeds on.
std::string_view HeadScanner::check_request_line(std::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return "malformed request line";
  if (!is_token(line.substr(0, sp1))) return "invalid method";
  std::string_view rest = line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) {
    // "GET /path" with no version is an HTTP/0.9 request (RFC 9112 Appendix C.1).
    return "HTTP/0.9 request not supported";
  }
  std::string_view target = rest.substr(0, sp2);
  if (target.empty() || target.find('\t') != std::string_view::npos) {
    return "invalid request target";
  }
  int major = parse_version(rest.substr(sp2 + 1));
  if (major == 2) {
    // "PRI * HTTP/2.0" is the HTTP/2 connection preface (RFC 9113 §3.4): prior knowledge
    // of HTTP/2 on an HTTP/1.1 port.
    return "HTTP/2 not supported on this port";
  }
  if (major < 0) return "invalid HTTP version";
  if (major != 1) return "unsupported HTTP version";
  return {};
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4). A missing SP
// after the code is tolerated (servers do send "HTTP/1.1 200"); the code must be 100-599
// (RFC 9110 §15).
std::string_view HeadScanner::check_status_line(std::string_view line) {
  if (line.size() < 12 || line[8] != ' ') return "malformed status line";
  int major = parse_version(line.substr(0, 8));
  if (major < 0) return "malformed status line";
  if (major != 1) return "unsupported HTTP version";
  if (!is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11])) {
    return "invalid status code";
  }
  if (line[9] < '1' || line[9] > '5') return "invalid status code";
  if (line.size() > 12 && line[12] != ' ') return "invalid status code";
  return {};  // the reason phrase may hold SP, HTAB, VCHAR, obs-text: all already checked
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5).
void HeadScanner::on_field_line(std::string_view line) {
  if (line[0] == ' ' || line[0] == '\t') {
    // RFC 9112 §5.2 (obs-fold) and §2.2 (white space before the first field line): both
    // must be rejected by a proxy that does not unfold, and llhttp 8.1 would unfold.
    finish(HeadScan::Status::Invalid,
           fields_ == 0 ? "white space after start line" : "obs-fold not allowed");
    return;
  }
  size_t colon = 0;
  while (colon < line.size() && is_token_char(static_cast<unsigned char>(line[colon]))) ++colon;
  if (colon == line.size()) {
    finish(HeadScan::Status::Invalid, "field line without colon");
    return;
  }
  if (line[colon] != ':') {
    // RFC 9112 §5.1: no white space between field name and colon (llhttp 8.1 rejects it too,
    // but a named reason helps whoever reads the 400).
    size_t after = colon;
    while (after < line.size() && (line[after] == ' ' || line[after] == '\t')) ++after;
    bool space_then_colon = after > colon && after < line.size() && line[after] == ':';
    finish(HeadScan::Status::Invalid,
           space_then_colon ? "white space before colon" : "invalid field name");
    return;
  }
  if (colon == 0) {
    finish(HeadScan::Status::Invalid, "empty field name");
    return;
  }
  if (++fields_ > limits_.max_fields) {
    finish(HeadScan::Status::TooLarge, "too many header fields");
    return;
  }
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);

  // Compare lengths first: almost every field is neither of the two framing fields.
  constexpr std::string_view kContentLength = "content-length";
  constexpr std::string_view kTransferEncoding = "transfer-encoding";
  if (name.size() == kContentLength.size() && iequals(name, kContentLength)) {
    // RFC 9112 §6.3: repeated or invalid Content-Length is unrecoverable framing. Equal
    // repeats may be merged by the RFC, but refusing them costs nothing and leaves no room
    // for two parsers to disagree.
    // A tab around the digits is OWS to RFC 9110 but llhttp 8.1 refuses it: refuse it here
    // too, so the scanner never accepts framing llhttp would read differently.
    uint64_t n = 0;
    if (result_.content_length) {
      finish(HeadScan::Status::Invalid, "repeated Content-Length");
    } else if (value.find('\t') != std::string_view::npos ||
               !parse_content_length(trim_ows(value), n)) {
      finish(HeadScan::Status::Invalid, "invalid Content-Length");
    } else {
      result_.content_length = n;
    }
  } else if (name.size() == kTransferEncoding.size() && iequals(name, kTransferEncoding)) {
    // Only "chunked", alone and once: anything else ("gzip, chunked", ",chunked",
    // "chunked, chunked", "xchunked") is a coding etagd cannot frame, or an obfuscation that
    // another parser on the path may read differently (TE.TE smuggling). That includes HTAB
    // and trailing white space, though RFC 9110 calls them OWS: llhttp 8.1 does not take
    // "chunked\t" as chunked, and the same ambiguity in other servers is a known TE.TE vector.
    size_t lead = value.find_first_not_of(' ');
    if (result_.chunked) {
      finish(HeadScan::Status::Invalid, "repeated Transfer-Encoding");
    } else if (lead == std::string_view::npos || !iequals(value.substr(lead), "chunked")) {
      finish(HeadScan::Status::Invalid, "Transfer-Encoding other than chunked");
    } else {
      result_.chunked = true;
    }
  } else {
    return;
  }
  if (result_.status == HeadScan::Status::NeedMore && result_.chunked && result_.content_length) {
    // RFC 9112 §6.3 lets a recipient prefer Transfer-Encoding; refusing is the only answer on
    // which every hop agrees (CL.TE / TE.CL smuggling).
    finish(HeadScan::Status::Invalid, "both Content-Length and Transfer-Encoding");
  }
}

}  // namespace etagd::http
