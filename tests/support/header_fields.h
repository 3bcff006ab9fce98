// The header (or trailer) fields of one message as the test tools see them: owned copies,
// in wire order, repeated names kept as separate entries, names compared case-insensitively
// (RFC 9110 §5.1). Used both for what the scripted origin received and what a client read.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace etagd::testing {

struct HeaderField {
  std::string name;
  std::string value;  // OWS trimmed when parsed from the wire
};

class HeaderFields {
 public:
  HeaderFields() = default;
  HeaderFields(std::initializer_list<HeaderField> fields) : fields_(fields) {}

  void add(std::string name, std::string value);
  // Removes every field with this name, then adds one.
  void set(std::string_view name, std::string value);
  // Removes every field with this name; returns how many were removed.
  size_t remove(std::string_view name);

  // Value of the first field with this name, or nullptr when absent.
  const std::string* find(std::string_view name) const;
  // Value of the first field with this name, or "" when absent.
  std::string get(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  size_t count(std::string_view name) const;
  // Every value of this name, in order.
  std::vector<std::string> all(std::string_view name) const;
  // The values of every line with this name joined by ", " (RFC 9110 §5.3); "" when absent.
  std::string combined(std::string_view name) const;
  // True if the comma-separated list value of `name` has `token` as a member
  // (case-insensitive), e.g. has_token("Connection", "close").
  bool has_token(std::string_view name, std::string_view token) const;

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }
  const HeaderField& operator[](size_t i) const { return fields_[i]; }

  // "Name: value\r\n" for every field, in order.
  std::string serialize() const;

 private:
  std::vector<HeaderField> fields_;
};

// ASCII case-insensitive equality, as field names compare.
bool iequals(std::string_view a, std::string_view b);

}  // namespace etagd::testing
