// Building cache entries in tests: a plausible response with a body of a chosen size.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/cache_entry.h"
#include "unit/wall_time.h"

namespace etagd::cache::testing {

using etagd::testing::at;
using namespace std::chrono_literals;

inline ResponseToStore response(size_t body_size = 100, std::vector<VaryField> variant = {}) {
  ResponseToStore r;
  r.status = 200;
  r.etag = "\"0123456789abcdefghijkl\"";
  r.header_block =
      "Content-Type: application/json\r\nETag: " + r.etag + "\r\nCache-Control: max-age=60\r\n";
  r.freshness.request_time = at(1000);
  r.freshness.response_time = at(1000);
  r.freshness.date_value = at(1000);
  r.freshness.lifetime = 60s;
  r.variant = std::move(variant);
  r.body = std::string(body_size, 'x');
  return r;
}

inline EntryRef entry(std::string_view url_key, size_t body_size = 100,
                      std::vector<VaryField> variant = {}) {
  return CacheEntry::make(url_key, response(body_size, std::move(variant)));
}

}  // namespace etagd::cache::testing
