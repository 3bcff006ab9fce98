// Targeted cache control fields (RFC 9213: CDN-Cache-Control and fields like it), read into
// the same CacheControl that Cache-Control fills.
#pragma once

#include "http/cache_control.h"

#include <string_view>

namespace etagd::http {

// Reads a targeted field's value, a Structured Field Dictionary (RFC 9213 §2.1), into `cc`.
// Returns false, leaving `cc` untouched, when the value is not a valid Dictionary or is empty:
// RFC 9213 §2.2 then has the cache ignore the field whole. Directives whose value has another
// type than Cache-Control's syntax implies (max-age=?1, max-age=-1, no-store=?0) are ignored
// (§2.1: "SHOULD NOT consume values that violate these inferred constraints"). The result has
// `targeted` set: Expires no longer applies (§2.2).
bool parse_targeted_cache_control(std::string_view field_value, CacheControl& cc);

}  // namespace etagd::http
