// The header fields of one message, as views into the buffer that holds its head.
// A HeaderList never owns bytes: whoever fills it keeps the head alive while it is used.
// It is reused across the requests of a connection so a request allocates nothing per header.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace etagd::http {

struct HeaderField {
  std::string_view name;
  std::string_view value;  // OWS already trimmed
};

class HeaderList {
 public:
  void add(std::string_view name, std::string_view value) { fields_.push_back({name, value}); }
  void clear() { fields_.clear(); }

  // First field with this name (case-insensitive), or nullptr.
  const HeaderField* find(std::string_view name) const;
  // Value of the first field with this name, or an empty view.
  std::string_view get(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  size_t count(std::string_view name) const;

  // The field's value as a recipient would combine repeated lines (RFC 9110 §5.3):
  // the values of every line with this name joined by ", ". Empty if absent.
  std::string combined(std::string_view name) const;

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::vector<HeaderField> fields_;
};

}  // namespace etagd::http
