#include "ops/exchange_record.h"

namespace etagd::ops {

std::string_view cache_status_name(CacheStatus s) {
  switch (s) {
    case CacheStatus::Hit: return "HIT";
    case CacheStatus::HitCoalesced: return "HIT-COALESCED";
    case CacheStatus::Miss: return "MISS";
    case CacheStatus::Stale: return "STALE";
    case CacheStatus::Revalidated: return "REVALIDATED";
    case CacheStatus::Bypass: return "BYPASS";
    case CacheStatus::None: return "NONE";
  }
  return "NONE";
}

}  // namespace etagd::ops
