// Internal to the config loader: joins pieces of text into one string, for diagnostics.
// Used instead of chains of operator+, which allocate once per step and, with a literal on the
// left of a temporary, trip GCC 12's -Wrestrict false positive in optimised builds (GCC bug
// 105651).
#pragma once

#include <string>
#include <string_view>

namespace etagd::config {

template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  out.reserve((std::string_view(parts).size() + ... + 0));
  (out.append(std::string_view(parts)), ...);
  return out;
}

}  // namespace etagd::config
