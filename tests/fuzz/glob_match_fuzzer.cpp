// Fuzz target: glob_match (src/config/glob_match.cpp), which picks the caching rule for every
// request path, an attacker-chosen string. A wrong answer sends a request to the wrong rule
// (a private path cached, or a cached one bypassed); the matcher's greedy back-tracking is
// clever enough to deserve a plain reference. Input: "<pattern>\n<path>".
// The reference is the definition, by dynamic programming: '*' matches any run of bytes
// without '/', a run of two or more '*' matches any run of bytes, anything else itself.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "config/rule_set.h"
#include "fuzz_check.h"

namespace {

enum class Piece : int { Star = -1, DoubleStar = -2 };  // other pieces are the byte values

std::vector<int> pieces_of(std::string_view pattern) {
  std::vector<int> pieces;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '*') {
      pieces.push_back(static_cast<unsigned char>(pattern[i++]));
      continue;
    }
    size_t run = 0;
    while (i < pattern.size() && pattern[i] == '*') ++i, ++run;
    pieces.push_back(static_cast<int>(run == 1 ? Piece::Star : Piece::DoubleStar));
  }
  return pieces;
}

bool reference_match(std::string_view pattern, std::string_view path) {
  std::vector<int> pieces = pieces_of(pattern);
  const size_t n = path.size();
  // fits[j]: pieces[k..] match path[j..]; computed for k from the end.
  std::vector<char> fits(n + 1, 0), next(n + 1, 0);
  next[n] = 1;  // no pieces left matches only the empty rest
  for (size_t k = pieces.size(); k-- > 0;) {
    int piece = pieces[k];
    for (size_t j = n + 1; j-- > 0;) {
      bool ok;
      if (piece == static_cast<int>(Piece::Star)) {
        ok = next[j] || (j < n && path[j] != '/' && fits[j + 1]);
      } else if (piece == static_cast<int>(Piece::DoubleStar)) {
        ok = next[j] || (j < n && fits[j + 1]);
      } else {
        ok = j < n && static_cast<unsigned char>(path[j]) == piece && next[j + 1];
      }
      fits[j] = ok;
    }
    std::swap(fits, next);
  }
  return next[0] != 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string_view pattern = input.substr(0, nl);
  std::string_view path = input.substr(nl + 1);
  FUZZ_CHECK(etagd::config::glob_match(pattern, path) == reference_match(pattern, path));
  return 0;
}
