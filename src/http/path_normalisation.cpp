#include "http/path_normalisation.h"

#include <vector>

#include "http/percent_encoding.h"

namespace etagd::http {

namespace {

enum class Segment { Name, Dot, DotDot };

// "%2e%2E" is the longest spelling of "..": anything longer is a name.
constexpr size_t kLongestDotSpelling = 6;

Segment classify(std::string_view segment) {
  if (segment == ".") return Segment::Dot;
  if (segment == "..") return Segment::DotDot;
  if (segment.size() > kLongestDotSpelling || segment.find('%') == std::string_view::npos) {
    return Segment::Name;
  }
  std::string decoded = percent_decode(segment);  // short enough to stay in place (SSO)
  if (decoded == ".") return Segment::Dot;
  if (decoded == "..") return Segment::DotDot;
  return Segment::Name;
}

// Calls `f(segment, last)` for each segment after the leading '/' ("/a//b/" -> "a", "", "b",
// "" with last true for the final ""). Stops early when `f` returns false.
template <typename F>
void for_each_segment(std::string_view path, F f) {
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    bool last = slash == std::string_view::npos;
    std::string_view segment = path.substr(start, last ? std::string_view::npos : slash - start);
    if (!f(segment, last) || last) return;
    start = slash + 1;
  }
}

bool is_normal(std::string_view path) {
  bool normal = true;
  for_each_segment(path, [&](std::string_view segment, bool last) {
    normal = (!segment.empty() || last) && classify(segment) == Segment::Name;
    return normal;
  });
  return normal;
}

}  // namespace

PathNormalisation normalise_path(std::string_view path, std::string& out) {
  if (path.empty() || path[0] != '/' || is_normal(path)) return PathNormalisation::Unchanged;

  std::vector<std::string_view> kept;
  bool trailing_slash = false;
  bool above_root = false;
  for_each_segment(path, [&](std::string_view segment, bool last) {
    // A segment that is removed leaves the slash before it as the path's end: "/a/." and
    // "/a/b/.." both name the directory "/a/" (RFC 3986 §5.2.4, steps 2B and 2C).
    trailing_slash = last;
    if (segment.empty()) return true;
    switch (classify(segment)) {
      case Segment::Dot:
        return true;
      case Segment::DotDot:
        if (kept.empty()) {
          above_root = true;
          return false;
        }
        kept.pop_back();
        return true;
      case Segment::Name:
        kept.push_back(segment);
        trailing_slash = false;
        return true;
    }
    return true;
  });
  if (above_root) return PathNormalisation::AboveRoot;

  out.clear();
  for (std::string_view segment : kept) out.append("/").append(segment);
  if (kept.empty() || trailing_slash) out.push_back('/');
  return PathNormalisation::Changed;
}

}  // namespace etagd::http
