// ASCII text rules shared by every HTTP field parser (RFC 9110 §5.6).
// Field names and most field values are ASCII; comparisons here never depend on locale.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace etagd::http {

namespace detail {
constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
inline constexpr std::array<bool, 256> kTchar = make_tchar_table();
}  // namespace detail

// tchar (RFC 9110 §5.6.2). Inline: parsers call it once per byte.
inline bool is_token_char(unsigned char c) { return detail::kTchar[c]; }
bool is_token(std::string_view s);  // non-empty and all tchar

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}
// Case-insensitive ASCII equality, as field names compare (RFC 9110 §5.1). Inline: every
// field lookup compares names, and most comparisons end at the length.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}
// Case-insensitive ASCII prefix test.
inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}
std::string lowercase(std::string_view s);

// Strips optional white space (SP / HTAB) from both ends (RFC 9110 §5.6.3).
std::string_view trim_ows(std::string_view s);

// Calls fn(member) for each non-empty member of a comma-separated list
// (RFC 9110 §5.6.1), members trimmed of OWS. Quoted strings are not split on
// the commas inside them. Stops early and returns false if fn returns false.
template <typename Fn>
bool for_each_list_member(std::string_view value, Fn&& fn);

}  // namespace etagd::http

#include "http/token_inl.h"
