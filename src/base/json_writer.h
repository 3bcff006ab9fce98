// JSON text output (RFC 8259) for the access log, /config and the admin API's answers.
// Strings are escaped per §7; bytes that are not well-formed UTF-8 become U+FFFD, so the
// output is always valid JSON whatever a client put in a URL.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace etagd::base {

// Appends `s` as a JSON string, quotes included.
void append_json_string(fmt::memory_buffer& out, std::string_view s);

// Builds one JSON document, indented by two spaces when `pretty`. Calls must nest properly
// (begin/end pairs; key() before each value inside an object); the writer does not check.
class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t n);
  JsonWriter& value(uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(unsigned n) { return value(static_cast<uint64_t>(n)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  // A value another JsonWriter wrote (without `pretty`), inserted as it is.
  JsonWriter& encoded(std::string_view json);

  // The document so far (with a final newline when pretty).
  std::string str() const;

 private:
  void before_value();
  void open(char bracket);
  void close(char bracket);
  void newline();

  fmt::memory_buffer out_;
  bool pretty_;
  // Per open container: whether it already holds an element (for commas and newlines).
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace etagd::base
