#include "http/list_normalisation.h"

#include "http/token.h"

namespace etagd::http {

namespace {

void append_lower(std::string& out, std::string_view s) {
  for (char c : s) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// One list member: "type/sub ; q = 0.8" -> "type/sub;q=0.8", case folded as `fold_all` says
// (everything) or else the first part and parameter names only.
void append_member(std::string& out, std::string_view member, bool fold_all) {
  if (member.find('"') != std::string_view::npos) {
    out.append(member);
    return;
  }
  bool first = true;
  while (true) {
    size_t semi = member.find(';');
    std::string_view part = trim_ows(member.substr(0, semi));
    if (!first) out += ';';
    size_t eq = part.find('=');
    if (first || eq == std::string_view::npos) {
      if (fold_all || first) {
        append_lower(out, part);
      } else {
        out.append(part);
      }
    } else {
      append_lower(out, trim_ows(part.substr(0, eq)));
      out += '=';
      std::string_view v = trim_ows(part.substr(eq + 1));
      if (fold_all) {
        append_lower(out, v);
      } else {
        out.append(v);
      }
    }
    first = false;
    if (semi == std::string_view::npos) break;
    member.remove_prefix(semi + 1);
  }
}

}  // namespace

bool has_list_normalisation(std::string_view name) {
  return name == "accept" || name == "accept-language" || name == "accept-charset";
}

std::optional<std::string> normalised_list_value(std::string_view name, std::string_view value) {
  if (!has_list_normalisation(name)) return std::nullopt;
  bool fold_all = name != "accept";
  std::string out;
  out.reserve(value.size());
  for_each_list_member(value, [&](std::string_view member) {
    if (!out.empty()) out += ',';
    append_member(out, member, fold_all);
    return true;
  });
  return out;
}

}  // namespace etagd::http
