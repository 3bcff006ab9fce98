#include "http/cookie.h"

#include "http/token.h"

namespace etagd::http {

std::string cookie_values(const HeaderList& request, std::string_view name) {
  std::string out;
  bool found = false;
  for (const HeaderField& f : request) {
    if (!iequals(f.name, "cookie")) continue;
    std::string_view rest = f.value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = trim_ows(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos || trim_ows(pair.substr(0, eq)) != name) continue;
      if (found) out += "; ";
      found = true;
      out.append(trim_ows(pair.substr(eq + 1)));
    }
  }
  return out;
}

}  // namespace etagd::http
