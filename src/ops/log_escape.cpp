#include "ops/log_escape.h"

namespace etagd::ops {
namespace {

void put(fmt::memory_buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }

void append_hex(fmt::memory_buffer& out, unsigned char c) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  const char esc[4] = {'\\', 'x', kDigits[c >> 4], kDigits[c & 0xf]};
  out.append(esc, esc + 4);
}

}  // namespace

void append_text_escaped(fmt::memory_buffer& out, std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c >= 0x7f) {
      append_hex(out, c);
    } else {
      out.push_back(ch);
    }
  }
}

void append_text_escaped(fmt::memory_buffer& out, std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) {
    append_text_escaped(out, s);
    return;
  }
  append_text_escaped(out, s.substr(0, max_bytes));
  put(out, "...");
}

void append_nginx_escaped(fmt::memory_buffer& out, std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) {
      append_hex(out, c);
    } else {
      out.push_back(ch);
    }
  }
}

}  // namespace etagd::ops
