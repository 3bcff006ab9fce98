// Fuzz target: the field-value parsers a response or a conditional request runs through, fed
// one arbitrary value each time: list splitting (token.h for_each_list_member, used for Vary,
// Connection, Age and Cache-Control), entity tags and If-None-Match (etag.h), Cache-Control
// (cache_control.h) and HTTP-date (http_date.h). Each check is a property the callers rely on.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "http/cache_control.h"
#include "http/etag.h"
#include "http/http_date.h"
#include "http/token.h"

namespace http = etagd::http;

namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// Members are non-empty, OWS-trimmed, in order, and nothing but commas and OWS lies between
// them: a member the splitter dropped would be a directive (no-store, private) or a Vary field
// that silently stops counting.
void check_list(std::string_view value) {
  std::vector<std::string_view> members;
  bool complete = http::for_each_list_member(value, [&](std::string_view m) {
    members.push_back(m);
    return true;
  });
  FUZZ_CHECK(complete);
  size_t covered = 0;  // everything before this offset is accounted for
  for (std::string_view m : members) {
    FUZZ_CHECK(!m.empty() && !is_ows(m.front()) && !is_ows(m.back()));
    FUZZ_CHECK(m.data() >= value.data() + covered &&
               m.data() + m.size() <= value.data() + value.size());
    size_t begin = static_cast<size_t>(m.data() - value.data());
    for (size_t i = covered; i < begin; ++i) FUZZ_CHECK(value[i] == ',' || is_ows(value[i]));
    if (covered > 0) {
      FUZZ_CHECK(value.substr(covered, begin - covered).find(',') != std::string_view::npos);
    }
    covered = begin + m.size();
  }
  for (size_t i = covered; i < value.size(); ++i) FUZZ_CHECK(value[i] == ',' || is_ows(value[i]));

  // Without quotes, the members are exactly a split at commas.
  if (value.find('"') == std::string_view::npos) {
    std::vector<std::string_view> naive;
    size_t start = 0;
    for (size_t i = 0; i <= value.size(); ++i) {
      if (i < value.size() && value[i] != ',') continue;
      std::string_view m = http::trim_ows(value.substr(start, i - start));
      if (!m.empty()) naive.push_back(m);
      start = i + 1;
    }
    FUZZ_CHECK(naive == members);
  }

  // Stopping early stops: fn returning false is called once and the call returns false.
  if (!members.empty()) {
    int calls = 0;
    bool result = http::for_each_list_member(value, [&](std::string_view) {
      ++calls;
      return false;
    });
    FUZZ_CHECK(!result && calls == 1);
  }
}

void check_entity_tag(std::string_view value) {
  http::EntityTag tag;
  if (!http::parse_entity_tag(value, tag)) return;
  std::string_view t = http::trim_ows(value);
  FUZZ_CHECK(tag.opaque.size() >= 2 && tag.opaque.front() == '"' && tag.opaque.back() == '"');
  FUZZ_CHECK(tag.opaque.substr(1, tag.opaque.size() - 2).find('"') == std::string_view::npos);
  FUZZ_CHECK(tag.weak == (t.substr(0, 2) == "W/"));
  FUZZ_CHECK(std::string(tag.weak ? "W/" : "") + std::string(tag.opaque) == t);
  FUZZ_CHECK(http::strong_match(tag, tag) == !tag.weak);
  FUZZ_CHECK(http::weak_match(tag, tag));

  // A tag matches itself, in a list and with either strength (If-None-Match compares weakly).
  std::string strong(tag.opaque);
  std::string weak = "W/" + strong;
  FUZZ_CHECK(http::if_none_match_matches(value, value));
  FUZZ_CHECK(http::if_none_match_matches(weak, strong));
  FUZZ_CHECK(http::if_none_match_matches(strong, weak));
  FUZZ_CHECK(http::if_none_match_matches("\"other\", " + weak + " ,", strong));
  FUZZ_CHECK(http::if_none_match_matches("*", value));
  FUZZ_CHECK(!http::if_none_match_matches("", value));
}

// `value` as an If-None-Match field, against each quoted string in it as the current ETag.
void check_if_none_match(std::string_view value) {
  if (http::trim_ows(value) == "*") return;
  size_t open = value.find('"');
  int candidates = 0;
  while (open != std::string_view::npos && candidates < 8) {
    size_t close = value.find('"', open + 1);
    if (close == std::string_view::npos) break;
    std::string current(value.substr(open, close - open + 1));
    open = value.find('"', close + 1);
    ++candidates;
    http::EntityTag tag;
    if (!http::parse_entity_tag(current, tag)) {
      FUZZ_CHECK(!http::if_none_match_matches(value, current));  // no valid current ETag
      continue;
    }
    bool match = http::if_none_match_matches(value, current);
    FUZZ_CHECK(http::if_none_match_matches(value, "W/" + current) == match);
    if (match) {
      // Other members around a matching one do not hide it.
      FUZZ_CHECK(http::if_none_match_matches("\"x\", " + std::string(value), current));
      FUZZ_CHECK(http::if_none_match_matches(std::string(value) + ", \"x\"", current));
    }
  }
}

bool same(const http::CacheControl& a, const http::CacheControl& b) {
  return a.max_age == b.max_age && a.s_maxage == b.s_maxage &&
         a.stale_while_revalidate == b.stale_while_revalidate &&
         a.stale_if_error == b.stale_if_error && a.no_store == b.no_store &&
         a.no_cache == b.no_cache && a.private_ == b.private_ && a.public_ == b.public_ &&
         a.must_revalidate == b.must_revalidate && a.proxy_revalidate == b.proxy_revalidate &&
         a.no_transform == b.no_transform && a.immutable == b.immutable &&
         a.only_if_cached == b.only_if_cached;
}

bool in_delta_range(const std::optional<int64_t>& v) {
  return !v || (*v >= 0 && *v <= (int64_t{1} << 31));
}

void check_cache_control(std::string_view value) {
  http::CacheControl cc;
  http::parse_cache_control(value, cc);
  FUZZ_CHECK(in_delta_range(cc.max_age) && in_delta_range(cc.s_maxage) &&
             in_delta_range(cc.stale_while_revalidate) && in_delta_range(cc.stale_if_error));

  // The same line seen twice (a repeated field) changes nothing.
  http::CacheControl twice = cc;
  http::parse_cache_control(value, twice);
  FUZZ_CHECK(same(twice, cc));

  // Directive names are case-insensitive (RFC 9111 §5.2); delta-seconds are digits.
  std::string upper(value);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  http::CacheControl cc_upper;
  http::parse_cache_control(upper, cc_upper);
  FUZZ_CHECK(same(cc_upper, cc));

  // A directive is seen wherever it sits in the list: what the value says is kept when another
  // member is added before it or after it.
  http::CacheControl wrapped;
  http::parse_cache_control("x-ext, " + std::string(value) + ", x-ext=1", wrapped);
  FUZZ_CHECK(same(wrapped, cc));
}

constexpr int64_t kFirstDate = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kLastDate = 253402300799;   // 9999-12-31T23:59:59Z

std::string formatted(int64_t t) {
  char out[http::kHttpDateLength];
  http::format_http_date(t, out);
  return std::string(out, sizeof out);
}

void check_http_date(std::string_view value) {
  std::optional<int64_t> t = http::parse_http_date(value);
  if (t) {
    // Years 0000-9999, and a leap second may run into the next year.
    FUZZ_CHECK(*t >= kFirstDate - 366 * 86400 && *t <= kLastDate + 1);
    if (*t >= kFirstDate && *t <= kLastDate) {
      std::string s = formatted(*t);
      FUZZ_CHECK(http::parse_http_date(s) == t);
      // An IMF-fixdate that is not a leap second comes back as written, but for the day name
      // (not checked against the date: http_date.cpp says why).
      std::string_view text = http::trim_ows(value);
      if (text.size() == http::kHttpDateLength && text[3] == ',' && text.substr(23, 2) != "60") {
        FUZZ_CHECK(text.substr(3) == std::string_view(s).substr(3));
      }
    }
  }
  // Any time, formatted, parses back to itself (clamped to four-digit years) and is canonical.
  if (value.size() >= 8) {
    int64_t any;
    std::memcpy(&any, value.data(), sizeof any);
    std::string s = formatted(any);
    int64_t clamped = any < kFirstDate ? kFirstDate : any > kLastDate ? kLastDate : any;
    FUZZ_CHECK(http::parse_http_date(s) == clamped);
    FUZZ_CHECK(formatted(clamped) == s);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  check_list(value);
  check_entity_tag(value);
  check_if_none_match(value);
  check_cache_control(value);
  check_http_date(value);
  return 0;
}
