#include <cstddef>
#include <string_view>

#include "config/rule_set.h"

namespace etagd::config {

// Greedy matching with two back-tracking points, O(pattern x path) at worst, no recursion:
// the path is attacker-controlled, so no pattern may make it exponential.
//
// Why one point per star kind is enough: a later '*' can stand in for an earlier one in the
// same segment (neither crosses '/'); an earlier '*' in another segment is pinned by the '/'
// that follows it, so extending it cannot help. When the last '*' would have to swallow a
// '/', only the last "**" can, and retrying from it with the leftmost match of what follows
// is the classic wildcard argument.
bool glob_match(std::string_view pattern, std::string_view path) {
  constexpr size_t kNone = std::string_view::npos;
  size_t p = 0, s = 0;
  size_t star_p = kNone, star_s = 0;    // after the last '*': pattern position, path position
  size_t dstar_p = kNone, dstar_s = 0;  // same for the last "**"

  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      if (p + 1 < pattern.size() && pattern[p + 1] == '*') {
        while (p < pattern.size() && pattern[p] == '*') ++p;
        dstar_p = p;
        dstar_s = s;
        star_p = kNone;
      } else {
        star_p = ++p;
        star_s = s;
      }
      continue;
    }
    if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
      continue;
    }
    if (star_p != kNone && path[star_s] != '/') {
      s = ++star_s;
      p = star_p;
      continue;
    }
    if (dstar_p != kNone) {
      s = ++dstar_s;
      p = dstar_p;
      star_p = kNone;
      continue;
    }
    return false;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace etagd::config
