#include "http/byte_range.h"

#include <algorithm>
#include <charconv>

#include "http/etag.h"
#include "http/http_date.h"
#include "http/token.h"

namespace etagd::http {

namespace {

// 1*DIGIT, within uint64_t; an empty or overflowing number is malformed.
std::optional<uint64_t> parse_digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

RangeRequest resolve_range(std::string_view value, uint64_t length) {
  RangeRequest out;
  value = trim_ows(value);
  size_t eq = value.find('=');
  if (eq == std::string_view::npos || !iequals(trim_ows(value.substr(0, eq)), "bytes")) return out;
  std::vector<ByteRange> ranges;
  bool malformed = false;
  bool any = false;
  for_each_list_member(value.substr(eq + 1), [&](std::string_view spec) {
    any = true;
    size_t dash = spec.find('-');
    if (dash == std::string_view::npos) {
      malformed = true;
      return false;
    }
    std::string_view a = trim_ows(spec.substr(0, dash));
    std::string_view b = trim_ows(spec.substr(dash + 1));
    if (a.empty()) {  // suffix-range: the last N bytes
      std::optional<uint64_t> n = parse_digits(b);
      if (!n) {
        malformed = true;
        return false;
      }
      if (*n > 0 && length > 0) ranges.push_back({length - std::min(*n, length), length - 1});
      return true;
    }
    std::optional<uint64_t> first = parse_digits(a);
    std::optional<uint64_t> last = b.empty() ? std::optional<uint64_t>(UINT64_MAX) : parse_digits(b);
    if (!first || !last || *last < *first) {
      malformed = true;
      return false;
    }
    if (*first < length) ranges.push_back({*first, std::min(*last, length - 1)});
    return true;
  });
  if (malformed || !any) return out;
  if (ranges.empty()) {
    out.outcome = RangeRequest::Outcome::Unsatisfiable;
    return out;
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& x, const ByteRange& y) { return x.first < y.first; });
  for (const ByteRange& r : ranges) {
    if (!out.ranges.empty() && r.first <= out.ranges.back().last + 1) {
      out.ranges.back().last = std::max(out.ranges.back().last, r.last);
    } else {
      out.ranges.push_back(r);
    }
  }
  if (out.ranges.size() > kMaxRanges) {
    out.ranges.clear();
    return out;
  }
  out.outcome = RangeRequest::Outcome::Satisfiable;
  return out;
}

std::optional<ContentRange> parse_content_range(std::string_view value) {
  value = trim_ows(value);
  size_t sp = value.find(' ');
  if (sp == std::string_view::npos || !iequals(value.substr(0, sp), "bytes")) return std::nullopt;
  std::string_view spec = trim_ows(value.substr(sp + 1));
  size_t dash = spec.find('-');
  size_t slash = spec.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) {
    return std::nullopt;
  }
  std::optional<uint64_t> first = parse_digits(spec.substr(0, dash));
  std::optional<uint64_t> last = parse_digits(spec.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange out;
  out.range = {*first, *last};
  std::string_view length = spec.substr(slash + 1);
  if (length != "*") {
    out.complete_length = parse_digits(length);
    if (!out.complete_length || *last >= *out.complete_length) return std::nullopt;
  }
  return out;
}

bool if_range_matches(std::string_view if_range, std::string_view etag,
                      std::optional<int64_t> last_modified) {
  if_range = trim_ows(if_range);
  if (if_range.empty()) return false;
  if (if_range.front() == '"' || if_range.starts_with("W/")) {
    EntityTag given;
    EntityTag current;
    return parse_entity_tag(if_range, given) && parse_entity_tag(etag, current) &&
           strong_match(given, current);
  }
  std::optional<int64_t> date = parse_http_date(if_range);
  return date && last_modified && *date == *last_modified;
}

}  // namespace etagd::http
