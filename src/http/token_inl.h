// Template bodies for token.h. Not included directly.
#pragma once

namespace etagd::http {

template <typename Fn>
bool for_each_list_member(std::string_view value, Fn&& fn) {
  size_t start = 0;
  bool in_quotes = false;
  for (size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size()) {
      char c = value[i];
      // A quoted-pair escapes the next byte; a backslash that ends the value escapes nothing
      // (stepping past the end would drop the last member, e.g. `private="\`).
      if (in_quotes && c == '\\' && i + 1 < value.size()) {
        ++i;
        continue;
      }
      if (c == '"') in_quotes = !in_quotes;
      if (in_quotes || c != ',') continue;
    }
    std::string_view member = trim_ows(value.substr(start, i - start));
    start = i + 1;
    if (!member.empty() && !fn(member)) return false;
  }
  return true;
}

}  // namespace etagd::http
