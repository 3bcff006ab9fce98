#include "support/wire_format.h"

#include <charconv>
#include <cstdio>

namespace etagd::testing {
namespace {

constexpr size_t kMaxChunkLine = 4096;
constexpr size_t kMaxTrailerBytes = 64 * 1024;

// tchar (RFC 9110 §5.6.2).
bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                       std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_http_version(std::string_view v) {
  return v.size() == 8 && v.substr(0, 5) == "HTTP/" && v[5] >= '0' && v[5] <= '9' && v[6] == '.' &&
         v[7] >= '0' && v[7] <= '9';
}

// A field-value may hold HTAB, SP, VCHAR and obs-text, nothing else (RFC 9110 §5.5).
bool is_field_value(std::string_view v) {
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// The last member of a Transfer-Encoding list, lowercased check for "chunked".
bool final_coding_is_chunked(const HeaderFields& headers) {
  std::string te = headers.combined("Transfer-Encoding");
  size_t comma = te.rfind(',');
  std::string_view last = trim(comma == std::string::npos ? std::string_view(te)
                                                          : std::string_view(te).substr(comma + 1));
  return iequals(last, "chunked");
}

// Every Content-Length line must carry the same decimal number (RFC 9110 §8.6).
bool content_length(const HeaderFields& headers, uint64_t& out, std::string& problem) {
  bool seen = false;
  for (const std::string& raw : headers.all("Content-Length")) {
    std::string_view list = raw;
    while (true) {
      size_t comma = list.find(',');
      std::string_view v = trim(list.substr(0, comma));
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
        problem = "invalid Content-Length: " + raw;
        return false;
      }
      if (seen && n != out) {
        problem = "conflicting Content-Length values";
        return false;
      }
      out = n;
      seen = true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return true;
}

}  // namespace

bool parse_head(std::string_view head, std::string& start_line, HeaderFields& fields,
                std::string* error) {
  auto fail = [&](std::string why) {
    if (error) *error = std::move(why);
    return false;
  };
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") {
    return fail("head does not end with CRLF CRLF");
  }
  head.remove_suffix(2);  // the empty line; every remaining line ends with CRLF
  bool first = true;
  while (!head.empty()) {
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos) {
      return fail("bare CR or LF in line: " + std::string(line));
    }
    if (first) {
      if (line.empty()) return fail("empty start line");
      start_line = std::string(line);
      first = false;
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      return fail("obs-fold continuation line: " + std::string(line));
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return fail("field line without colon: " + std::string(line));
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return fail("invalid field name: " + std::string(name));
    std::string_view value = trim(line.substr(colon + 1));
    if (!is_field_value(value)) return fail("invalid byte in field value of " + std::string(name));
    fields.add(std::string(name), std::string(value));
  }
  return true;
}

bool parse_request_line(std::string_view line, RequestLine& out) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return false;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || !is_http_version(version)) return false;
  out.method = std::string(method);
  out.target = std::string(target);
  out.version = std::string(version);
  return true;
}

bool parse_status_line(std::string_view line, StatusLine& out) {
  // status-line = HTTP-version SP status-code SP [ reason-phrase ]  (RFC 9112 §4)
  if (line.size() < 13 || !is_http_version(line.substr(0, 8)) || line[8] != ' ' ||
      line[12] != ' ') {
    return false;
  }
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    status = status * 10 + (line[i] - '0');
  }
  out.version = std::string(line.substr(0, 8));
  out.status = status;
  out.reason = std::string(line.substr(13));
  return true;
}

BodyFraming request_framing(const HeaderFields& headers) {
  BodyFraming f;
  bool has_te = headers.contains("Transfer-Encoding");
  bool has_cl = headers.contains("Content-Length");
  if (has_te && has_cl) {
    f.kind = BodyFraming::invalid;
    f.problem = "both Transfer-Encoding and Content-Length";
  } else if (has_te) {
    f.kind = final_coding_is_chunked(headers) ? BodyFraming::chunked : BodyFraming::invalid;
    if (f.kind == BodyFraming::invalid) f.problem = "request transfer coding is not chunked";
  } else if (has_cl) {
    f.kind = content_length(headers, f.content_length, f.problem) ? BodyFraming::length
                                                                  : BodyFraming::invalid;
  }
  return f;
}

BodyFraming response_framing(std::string_view request_method, int status,
                             const HeaderFields& headers) {
  BodyFraming f;
  if (request_method == "HEAD" || (status >= 100 && status < 200) || status == 204 ||
      status == 304) {
    return f;
  }
  if (headers.contains("Transfer-Encoding")) {
    f.kind = final_coding_is_chunked(headers) ? BodyFraming::chunked : BodyFraming::until_close;
  } else if (headers.contains("Content-Length")) {
    f.kind = content_length(headers, f.content_length, f.problem) ? BodyFraming::length
                                                                  : BodyFraming::invalid;
  } else {
    f.kind = BodyFraming::until_close;
  }
  return f;
}

IoStatus read_chunked_body(SocketStream& stream, Deadline deadline, size_t max_body,
                           std::string& body, HeaderFields& trailers, std::string* error) {
  auto malformed = [&](std::string why) {
    if (error) *error = std::move(why);
    return IoStatus::malformed;
  };
  std::string line;
  for (;;) {
    IoStatus s = stream.read_until("\r\n", kMaxChunkLine, deadline, line);
    if (s != IoStatus::ok) {
      if (error) *error = std::string("reading chunk size: ") + describe(s);
      return s;
    }
    std::string_view size_text(line);
    size_text.remove_suffix(2);
    size_t ext = size_text.find_first_of("; \t");
    std::string_view hex = size_text.substr(0, ext);
    uint64_t size = 0;
    auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
    if (hex.empty() || ec != std::errc() || end != hex.data() + hex.size()) {
      return malformed("bad chunk size line: " + std::string(size_text));
    }
    if (size_text.find('\r') != std::string_view::npos) {
      return malformed("bare CR in chunk size line");
    }
    if (size == 0) break;
    if (size > max_body || body.size() + size > max_body) {
      if (error) *error = "chunked body larger than " + std::to_string(max_body) + " bytes";
      return IoStatus::too_large;
    }
    s = stream.read_exact(static_cast<size_t>(size), deadline, body);
    if (s != IoStatus::ok) {
      if (error) *error = std::string("reading chunk data: ") + describe(s);
      return s;
    }
    std::string crlf;
    s = stream.read_exact(2, deadline, crlf);
    if (s != IoStatus::ok) {
      if (error) *error = std::string("reading chunk end: ") + describe(s);
      return s;
    }
    if (crlf != "\r\n") return malformed("chunk data not followed by CRLF");
  }
  // trailer-section = *( field-line CRLF ) CRLF
  std::string trailer_block = "X\r\n";  // a dummy start line lets parse_head check the fields
  for (;;) {
    IoStatus s = stream.read_until("\r\n", kMaxTrailerBytes, deadline, line);
    if (s != IoStatus::ok) {
      if (error) *error = std::string("reading trailer section: ") + describe(s);
      return s;
    }
    trailer_block += line;
    if (line == "\r\n") break;
    if (trailer_block.size() > kMaxTrailerBytes) return malformed("trailer section too large");
  }
  std::string ignored_start;
  std::string why;
  if (!parse_head(trailer_block, ignored_start, trailers, &why)) return malformed(why);
  return IoStatus::ok;
}

std::string encode_chunked(const std::vector<std::string>& chunks, const HeaderFields& trailers) {
  std::string out;
  char size_line[32];
  for (const std::string& chunk : chunks) {
    if (chunk.empty()) continue;
    int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    out.append(size_line, static_cast<size_t>(n));
    out += chunk;
    out += "\r\n";
  }
  out += "0\r\n";
  out += trailers.serialize();
  out += "\r\n";
  return out;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

}  // namespace etagd::testing
