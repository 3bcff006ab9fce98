// Normalising the query of a request target for the cache key: many URLs that an origin
// answers alike ("?a=1&b=2", "?b=2&a=1", "?a=1&b=2&utm_source=mail") can share one entry.
// Only the operator can know that parameter order or a tracking parameter does not matter to
// the origin, so nothing here applies unless a rule asks for it (cache_key.query).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace etagd::http {

struct QueryNormalisation {
  // Parameters ordered by name (bytes as sent); parameters with the same name keep their
  // order, since "a=1&a=2" and "a=2&a=1" can mean different lists to an origin.
  bool sort = false;
  // Parameters whose name matches one of these shell patterns (fnmatch(3): "utm_*") are
  // dropped. Names are percent-decoded before matching.
  std::vector<std::string> ignore;
  // When not empty, only parameters whose name matches one of these patterns are kept.
  std::vector<std::string> keep;

  bool empty() const { return !sort && ignore.empty() && keep.empty(); }
  bool operator==(const QueryNormalisation&) const = default;
};

// `target` ("/path?query", origin-form) with its query rewritten by `n`: parameters split at
// '&' (empty ones dropped), filtered by `keep`/`ignore`, sorted when asked, joined again; a
// query with nothing left loses its '?'. The path is never touched. With an empty `n` the
// target comes back as it is.
std::string normalise_query(std::string_view target, const QueryNormalisation& n);

}  // namespace etagd::http
