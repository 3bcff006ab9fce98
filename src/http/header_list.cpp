#include "http/header_list.h"

#include <string>

#include "http/token.h"

namespace etagd::http {

const HeaderField* HeaderList::find(std::string_view name) const {
  for (const HeaderField& f : fields_) {
    if (iequals(f.name, name)) return &f;
  }
  return nullptr;
}

std::string_view HeaderList::get(std::string_view name) const {
  const HeaderField* f = find(name);
  return f ? f->value : std::string_view();
}

size_t HeaderList::count(std::string_view name) const {
  size_t n = 0;
  for (const HeaderField& f : fields_) n += iequals(f.name, name);
  return n;
}

std::string HeaderList::combined(std::string_view name) const {
  std::string out;
  for (const HeaderField& f : fields_) {
    if (!iequals(f.name, name)) continue;
    if (!out.empty()) out += ", ";
    out += f.value;
  }
  return out;
}

}  // namespace etagd::http
