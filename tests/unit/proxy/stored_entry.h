// Stored entries for the proxy's decisions: a response received at t=1000 with a chosen
// lifetime, stale windows and validators.
#pragma once

#include <optional>
#include <string>

#include "cache/cache_entry.h"
#include "unit/wall_time.h"

namespace etagd::proxy::testing {

using etagd::testing::at;
using namespace std::chrono_literals;

struct StoredEntry {
  int status = 200;
  int64_t lifetime = 60;
  int64_t stale_while_revalidate = 0;
  int64_t stale_if_error = 0;
  bool must_revalidate = false;
  bool no_cache = false;
  std::string etag = "\"content-hash\"";
  bool etag_from_upstream = false;
  bool shared_explicitly = false;  // the origin said public, s-maxage or must-revalidate
  std::optional<int64_t> last_modified;
  int64_t age_value = 0;
  int64_t date_value = 1000;  // the origin's Date
  std::string fields = "ETag: \"content-hash\"\r\nCache-Control: max-age=60\r\n"
                       "Content-Type: application/json\r\n";
  std::string body = "{\"id\":1}";

  cache::EntryRef make() const {
    cache::ResponseToStore r;
    r.status = status;
    r.header_block = fields;
    r.etag = etag;
    r.etag_from_upstream = etag_from_upstream;
    r.shared_explicitly = shared_explicitly;
    r.last_modified = last_modified;
    r.freshness.request_time = at(1000);
    r.freshness.response_time = at(1000);
    r.freshness.date_value = at(date_value);
    r.freshness.age_value = std::chrono::seconds(age_value);
    r.freshness.lifetime = std::chrono::seconds(lifetime);
    r.freshness.stale_while_revalidate = std::chrono::seconds(stale_while_revalidate);
    r.freshness.stale_if_error = std::chrono::seconds(stale_if_error);
    r.freshness.must_revalidate = must_revalidate;
    r.freshness.no_cache = no_cache;
    r.body = body;
    return cache::CacheEntry::make("example.com/doc", std::move(r));
  }
};

}  // namespace etagd::proxy::testing
