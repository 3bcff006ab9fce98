#include "proxy/range_answer.h"

#include <random>

#include "http/token.h"

namespace etagd::proxy {

namespace {

// Calls fn(line, name, value) for each "Name: value\r\n" line of a field block.
template <typename Fn>
void for_each_line(std::string_view block, Fn&& fn) {
  size_t pos = 0;
  while (pos < block.size()) {
    size_t eol = block.find("\r\n", pos);
    if (eol == std::string_view::npos) break;
    std::string_view line = block.substr(pos, eol + 2 - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (!fn(line, line.substr(0, colon), http::trim_ows(line.substr(colon + 1, line.size() - colon - 3)))) {
      return;
    }
  }
}

}  // namespace

RangeAnswer plan_range(const http::RequestHead& request, const cache::CacheEntry& entry) {
  RangeAnswer answer;
  if (request.method != http::Method::Get || entry.status() != 200) return answer;
  // Several Range lines cannot be one list of ranges meaningfully (the field is a singleton,
  // §14.2): such a request is answered whole.
  if (request.headers.count("range") != 1) return answer;
  if (const http::HeaderField* f = request.headers.find("if-range")) {
    if (!http::if_range_matches(f->value, entry.etag(), entry.last_modified())) return answer;
  }
  http::RangeRequest r = http::resolve_range(request.headers.get("range"), entry.body().size());
  switch (r.outcome) {
    case http::RangeRequest::Outcome::Ignored: return answer;
    case http::RangeRequest::Outcome::Unsatisfiable:
      answer.kind = RangeAnswer::Kind::Unsatisfiable;
      return answer;
    case http::RangeRequest::Outcome::Satisfiable:
      answer.kind = RangeAnswer::Kind::Partial;
      answer.ranges = std::move(r.ranges);
      return answer;
  }
  return answer;
}

std::string content_range(const http::ByteRange& range, uint64_t length) {
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
         std::to_string(length);
}

MultipartLayout multipart_layout(const std::vector<http::ByteRange>& ranges, uint64_t length,
                                 std::string_view content_type, std::string_view boundary) {
  MultipartLayout layout;
  for (const http::ByteRange& r : ranges) {
    std::string head = "\r\n--";
    head += boundary;
    head += "\r\n";
    if (!content_type.empty()) {
      head += "Content-Type: ";
      head += content_type;
      head += "\r\n";
    }
    head += "Content-Range: " + content_range(r, length) + "\r\n\r\n";
    layout.content_length += head.size() + r.size();
    layout.part_heads.push_back(std::move(head));
  }
  layout.closing = "\r\n--" + std::string(boundary) + "--\r\n";
  layout.content_length += layout.closing.size();
  return layout;
}

std::string multipart_boundary() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string b = "etagd-";
  for (int half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (int i = 0; i < 12; ++i, v >>= 4) b += kDigits[v & 15];
  }
  return b;
}

std::string without_content_type(std::string_view block) {
  std::string out;
  out.reserve(block.size());
  for_each_line(block, [&](std::string_view line, std::string_view name, std::string_view) {
    if (!http::iequals(name, "content-type")) out += line;
    return true;
  });
  return out;
}

std::string_view content_type_of(std::string_view block) {
  std::string_view type;
  for_each_line(block, [&](std::string_view, std::string_view name, std::string_view value) {
    if (!http::iequals(name, "content-type")) return true;
    type = value;
    return false;
  });
  return type;
}

}  // namespace etagd::proxy
