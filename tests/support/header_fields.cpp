#include "support/header_fields.h"

#include <algorithm>

namespace etagd::testing {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

void HeaderFields::add(std::string name, std::string value) {
  fields_.push_back({std::move(name), std::move(value)});
}

void HeaderFields::set(std::string_view name, std::string value) {
  remove(name);
  fields_.push_back({std::string(name), std::move(value)});
}

size_t HeaderFields::remove(std::string_view name) {
  auto gone = std::remove_if(fields_.begin(), fields_.end(),
                             [&](const HeaderField& f) { return iequals(f.name, name); });
  size_t n = static_cast<size_t>(fields_.end() - gone);
  fields_.erase(gone, fields_.end());
  return n;
}

const std::string* HeaderFields::find(std::string_view name) const {
  for (const HeaderField& f : fields_) {
    if (iequals(f.name, name)) return &f.value;
  }
  return nullptr;
}

std::string HeaderFields::get(std::string_view name) const {
  const std::string* v = find(name);
  return v ? *v : std::string();
}

size_t HeaderFields::count(std::string_view name) const {
  size_t n = 0;
  for (const HeaderField& f : fields_) n += iequals(f.name, name) ? 1 : 0;
  return n;
}

std::vector<std::string> HeaderFields::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const HeaderField& f : fields_) {
    if (iequals(f.name, name)) out.push_back(f.value);
  }
  return out;
}

std::string HeaderFields::combined(std::string_view name) const {
  std::string out;
  for (const HeaderField& f : fields_) {
    if (!iequals(f.name, name)) continue;
    if (!out.empty()) out += ", ";
    out += f.value;
  }
  return out;
}

bool HeaderFields::has_token(std::string_view name, std::string_view token) const {
  for (const HeaderField& f : fields_) {
    if (!iequals(f.name, name)) continue;
    std::string_view rest = f.value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view member = trim(rest.substr(0, comma));
      if (iequals(member, token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::string HeaderFields::serialize() const {
  std::string out;
  for (const HeaderField& f : fields_) {
    out += f.name;
    out += ": ";
    out += f.value;
    out += "\r\n";
  }
  return out;
}

}  // namespace etagd::testing
