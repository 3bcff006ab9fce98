// A cache entry for fleet tests: a small 200 response stored or validated at a chosen time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cache/cache_entry.h"
#include "unit/wall_time.h"

namespace etagd::fleet::testing {

using etagd::testing::at;
using namespace std::chrono_literals;

inline cache::EntryRef entry(std::string_view url_key, int64_t validated_at = 1000) {
  cache::ResponseToStore r;
  r.status = 200;
  r.etag = "\"abc\"";
  r.header_block = "ETag: \"abc\"\r\n";
  r.freshness.request_time = at(validated_at);
  r.freshness.response_time = at(validated_at);
  r.freshness.date_value = at(validated_at);
  r.freshness.lifetime = 3600s;
  r.body = "body";
  return cache::CacheEntry::make(url_key, std::move(r));
}

}  // namespace etagd::fleet::testing
