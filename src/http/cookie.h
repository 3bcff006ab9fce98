// Reading named cookies from a request's Cookie fields (RFC 6265 §5.4: "name=value" pairs
// separated by ";"), for cache keys that vary on one session cookie and not on the tracking
// cookies beside it.
#pragma once

#include <string>
#include <string_view>

#include "http/header_list.h"

namespace etagd::http {

// The values of every cookie called `name` (case-sensitive, RFC 6265 §4.1.1) in the request's
// Cookie lines, in order, joined by "; "; empty when there is none. HTTP/2 clients split
// Cookie into several lines (RFC 9113 §8.2.3): every line counts.
std::string cookie_values(const HeaderList& request, std::string_view name);

}  // namespace etagd::http
