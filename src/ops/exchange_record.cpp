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

std::string_view cache_status_text(CacheStatus s, bool heuristic) {
  if (!heuristic) return cache_status_name(s);
  switch (s) {
    case CacheStatus::Hit: return "HIT;heuristic";
    case CacheStatus::HitCoalesced: return "HIT-COALESCED;heuristic";
    case CacheStatus::Miss: return "MISS;heuristic";
    case CacheStatus::Stale: return "STALE;heuristic";
    case CacheStatus::Revalidated: return "REVALIDATED;heuristic";
    case CacheStatus::Bypass:
    case CacheStatus::None: break;
  }
  return cache_status_name(s);
}

}  // namespace etagd::ops
