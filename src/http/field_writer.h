// Writing field lines ("Name: value\r\n") into a head being built. Heads are assembled in a
// std::string and added to the output evbuffer in one piece (one copy, one writev entry).
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace etagd::http {

inline void append_field(std::string& head, std::string_view name, std::string_view value) {
  head.append(name).append(": ").append(value).append("\r\n");
}

inline void append_decimal(std::string& s, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, end);
}

}  // namespace etagd::http
