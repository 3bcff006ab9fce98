#include "http/query_normalisation.h"

#include <fnmatch.h>

#include <algorithm>

#include "http/percent_encoding.h"

namespace etagd::http {

namespace {

struct Parameter {
  std::string_view whole;  // "name=value" as sent
  std::string_view name;   // up to the first '='
};

bool matches_any(const std::vector<std::string>& patterns, const std::string& name) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return fnmatch(p.c_str(), name.c_str(), 0) == 0;
  });
}

}  // namespace

std::string normalise_query(std::string_view target, const QueryNormalisation& n) {
  size_t q = target.find('?');
  if (n.empty() || q == std::string_view::npos) return std::string(target);

  std::vector<Parameter> params;
  std::string_view rest = target.substr(q + 1);
  while (true) {
    size_t amp = rest.find('&');
    std::string_view p = rest.substr(0, amp);
    if (!p.empty()) {
      std::string_view name = p.substr(0, p.find('='));
      bool wanted = true;
      if (!n.keep.empty() || !n.ignore.empty()) {
        std::string decoded = percent_decode(name);
        wanted = n.keep.empty() ? !matches_any(n.ignore, decoded) : matches_any(n.keep, decoded);
      }
      if (wanted) params.push_back({p, name});
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  if (n.sort) {
    std::stable_sort(params.begin(), params.end(),
                     [](const Parameter& a, const Parameter& b) { return a.name < b.name; });
  }

  std::string out(target.substr(0, q));
  char separator = '?';
  for (const Parameter& p : params) {
    out += separator;
    out.append(p.whole);
    separator = '&';
  }
  return out;
}

}  // namespace etagd::http
