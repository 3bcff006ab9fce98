#include "head_reference.h"

#include <string>

namespace etagd::fuzz {

namespace {

bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "HTTP/1.x", x any digit.
bool is_http1_version(std::string_view v) {
  return v.size() == 8 && v.substr(0, 7) == "HTTP/1." && v[7] >= '0' && v[7] <= '9';
}

bool clean_request_line(std::string_view line) {
  if (line.find('\t') != std::string_view::npos) return false;
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return false;
  for (char c : line.substr(0, sp1)) {
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;  // no version, no target
  return is_http1_version(line.substr(sp2 + 1));
}

bool clean_status_line(std::string_view line) {
  if (line.size() < 12 || !is_http1_version(line.substr(0, 8)) || line[8] != ' ') return false;
  if (line[9] < '1' || line[9] > '5' || !all_digits(line.substr(10, 2))) return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  // HTAB only in the reason phrase.
  return line.substr(0, 13).find('\t') == std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ReferenceHead reference_scan(http::HeadKind kind, http::HeadLimits limits, std::string_view input) {
  ReferenceHead not_clean;
  ReferenceHead r;
  while (input.substr(r.skip, 2) == "\r\n") r.skip += 2;
  size_t end = input.find("\r\n\r\n", r.skip);
  if (end == std::string_view::npos) return not_clean;
  size_t total = end + 4;
  if (total > limits.max_bytes) return not_clean;
  r.length = total - r.skip;

  // The lines, without their CRLF: start line, then field lines.
  std::string_view rest = input.substr(r.skip, end + 2 - r.skip);
  bool start_line = true;
  while (!rest.empty()) {
    size_t crlf = rest.find("\r\n");
    std::string_view line = rest.substr(0, crlf);
    rest.remove_prefix(crlf + 2);
    for (char ch : line) {
      auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7f) return not_clean;  // CR, LF, NUL included
    }
    if (start_line) {
      start_line = false;
      bool ok =
          kind == http::HeadKind::Request ? clean_request_line(line) : clean_status_line(line);
      if (!ok) return not_clean;
      continue;
    }
    if (++r.fields > limits.max_fields) return not_clean;
    size_t colon = 0;
    while (colon < line.size() && is_tchar(static_cast<unsigned char>(line[colon]))) ++colon;
    if (colon == 0 || colon == line.size() || line[colon] != ':') return not_clean;
    std::string name = lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    if (name == "content-length") {
      // A tab around the digits is refused (llhttp 8.1 refuses it; see head_scanner.cpp).
      if (value.find('\t') != std::string_view::npos) return not_clean;
      std::string_view digits = trim(value);
      if (r.content_length || !all_digits(digits)) return not_clean;
      uint64_t n = 0;
      for (char c : digits) {
        if (__builtin_mul_overflow(n, 10u, &n) ||
            __builtin_add_overflow(n, static_cast<uint64_t>(c - '0'), &n)) {
          return not_clean;
        }
      }
      if (n > static_cast<uint64_t>(INT64_MAX)) return not_clean;
      r.content_length = n;
    } else if (name == "transfer-encoding") {
      size_t lead = value.find_first_not_of(' ');
      if (r.chunked || lead == std::string_view::npos || lower(value.substr(lead)) != "chunked") {
        return not_clean;
      }
      r.chunked = true;
    }
    if (r.chunked && r.content_length) return not_clean;
  }
  r.complete = true;
  return r;
}

}  // namespace etagd::fuzz
