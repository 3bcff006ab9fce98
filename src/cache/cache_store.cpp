#include "cache/cache_store.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cache/cache_key.h"
#include "cache/entry_table.h"
#include "cache/lru_list.h"
#include "cache/prefix_generations.h"
#include "cache/target_index.h"

namespace etagd::cache {

namespace {

// Process-wide, so an entry's seq means the same in every store (tests build several).
// Starts at 1 so that 0 can mean "no invalidation yet" in floors and prefix records.
std::atomic<uint64_t> g_seq{1};

uint64_t next_seq() { return g_seq.fetch_add(1, std::memory_order_acq_rel) + 1; }

uint64_t hash_key(std::string_view url_key) { return XXH3_64bits(url_key.data(), url_key.size()); }

// Entries taken out of a shard under its mutex and released after it is unlocked: the last
// reference may free a large body, and that should not hold up other requests to the shard.
using Released = std::vector<EntryRef>;

// Statistics of one shard: written under its mutex, read without it.
struct ShardStats {
  std::atomic<uint64_t> entries{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> inserts{0};
  std::atomic<uint64_t> evictions{0};
  std::atomic<uint64_t> purged{0};
};

}  // namespace

class CacheStore::Shard {
 public:
  Shard(uint64_t budget, size_t max_prefixes) : budget_(budget), prefixes_(max_prefixes) {}

  std::mutex mu;
  ShardStats stats;

  // Everything below is called with mu held.

  bool invalidated(const CacheEntry& e) const {
    if (e.seq() < floor_seq_) return true;
    if (prefixes_.empty()) return false;  // the common case: no prefix walk
    return prefixes_.newest_covering(url_key_path(e.url_key())) > e.seq();
  }

  bool holds(const CacheEntry* e) const { return table_.contains(e); }

  // An entry about to be stored whose fetch started before a URL invalidation of its key
  // (a GET that was upstream while a PUT to the same URL succeeded) carries the old state.
  bool invalidated_in_flight(const CacheEntry& e) const {
    if (invalidated(e) || e.seq() < url_floor_seq_) return true;
    if (!recent_targets_.empty()) {
      auto t = recent_targets_.find(TargetIndex::target_of(e));
      if (t != recent_targets_.end() && e.seq() < t->second) return true;
    }
    if (recent_urls_.empty()) return false;
    auto it = recent_urls_.find(std::string(e.url_key()));
    return it != recent_urls_.end() && e.seq() < it->second;
  }

  // Remembers a URL invalidation for fetches still in flight. Bounded: when too many are
  // remembered, every fetch that started before this one is refused instead (costs a store,
  // never a stale entry).
  void record_url(std::string_view url_key, uint64_t seq) {
    if (recent_urls_.size() >= kMaxRecentUrls) {
      recent_urls_.clear();
      url_floor_seq_ = seq;
      return;
    }
    recent_urls_[std::string(url_key)] = seq;
  }

  // The same for a target purged on every host (purge_target), sharing the URL floor.
  void record_target(std::string_view target, uint64_t seq) {
    if (recent_targets_.size() >= kMaxRecentUrls) {
      recent_targets_.clear();
      url_floor_seq_ = seq;
      return;
    }
    auto it = recent_targets_.find(target);
    if (it == recent_targets_.end()) {
      recent_targets_.emplace(std::string(target), seq);
    } else {
      it->second = seq;
    }
  }

  // Every entry stored at `target` on any host: one chain of the target index.
  size_t remove_target(std::string_view target, Released& out) {
    std::vector<const CacheEntry*> at;
    targets_.for_each_at(target, [&](const CacheEntry* e) { at.push_back(e); });
    for (const CacheEntry* e : at) unlink(e, out);
    stats.purged.fetch_add(at.size(), std::memory_order_relaxed);
    return at.size();
  }

  // Adds `entry` (its charge passed in, computed before locking): replaces the stored entry
  // with the same variant, then evicts from the LRU end until it fits.
  void link(const EntryRef& entry, uint64_t hash, uint64_t charge, Released& out) {
    const CacheEntry* e = entry.get();
    auto same_variant = [e](const CacheEntry* other) { return other->same_variant_as(*e); };
    while (const CacheEntry* other = table_.find_at(hash, e->url_key(), same_variant)) {
      unlink(other, out);
    }
    while (bytes_ + charge > budget_ && !lru_.empty()) {
      unlink(lru_.back(), out);
      stats.evictions.fetch_add(1, std::memory_order_relaxed);
    }
    table_.insert(e, hash);
    targets_.insert(e);
    lru_.push_front(e);
    store_hooks(*e).pin = entry;
    bytes_ += charge;
    stats.inserts.fetch_add(1, std::memory_order_relaxed);
    publish();
  }

  void unlink(const CacheEntry* e, Released& out) {
    table_.remove(e);
    targets_.remove(e);
    lru_.remove(e);
    bytes_ -= e->charge();
    StoreHooks& h = store_hooks(*e);
    out.push_back(std::move(h.pin));
    h.pin.reset();
    h.claimed.store(false, std::memory_order_release);
    publish();
  }

  // The newest stored variant at url_key matching `request`. Matches that an invalidation
  // covers are dropped on the way.
  EntryRef find(uint64_t hash, std::string_view url_key, const http::HeaderList& request,
                Released& out) {
    auto matches = [&request](const CacheEntry* e) { return e->matches_variant(request); };
    while (const CacheEntry* e = table_.find_at(hash, url_key, matches)) {
      if (invalidated(*e)) {
        unlink(e, out);
        stats.purged.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      lru_.move_to_front(e);
      return store_hooks(*e).pin;
    }
    return nullptr;
  }

  size_t remove_at(uint64_t hash, std::string_view url_key, Released& out) {
    size_t n = 0;
    auto any = [](const CacheEntry*) { return true; };
    while (const CacheEntry* e = table_.find_at(hash, url_key, any)) {
      unlink(e, out);
      ++n;
    }
    stats.purged.fetch_add(n, std::memory_order_relaxed);
    return n;
  }

  size_t remove_under(std::string_view path_prefix, Released& out) {
    std::vector<const CacheEntry*> under;
    table_.for_each([&](const CacheEntry* e) {
      if (url_key_path(e->url_key()).starts_with(path_prefix)) under.push_back(e);
    });
    for (const CacheEntry* e : under) unlink(e, out);
    stats.purged.fetch_add(under.size(), std::memory_order_relaxed);
    return under.size();
  }

  void record_prefix(std::string_view path_prefix, uint64_t seq, PrefixMatch match) {
    if (prefixes_.record(path_prefix, seq, match)) return;
    // Too many prefixes to remember: forget them all and invalidate everything older than
    // this call instead. Costs hits, never serves a stale entry, and keeps memory bounded.
    prefixes_.clear();
    floor_seq_ = seq;
  }

  void remove_all(Released& out) {
    out.reserve(out.size() + table_.size());
    while (!lru_.empty()) unlink(lru_.front(), out);
  }

 private:
  void publish() {
    stats.entries.store(table_.size(), std::memory_order_relaxed);
    stats.bytes.store(bytes_, std::memory_order_relaxed);
  }

  const uint64_t budget_;
  uint64_t bytes_ = 0;  // sum of the charges of the entries in table_
  EntryTable table_;
  LruList lru_;
  TargetIndex targets_;
  PrefixGenerations prefixes_;
  uint64_t floor_seq_ = 0;  // entries with a lower seq are invalidated (prefix record overflow)
  static constexpr size_t kMaxRecentUrls = 1024;
  std::unordered_map<std::string, uint64_t> recent_urls_;  // url_key -> seq of its invalidation
  uint64_t url_floor_seq_ = 0;  // inserts with a lower seq are refused (recent_*_ overflow)
  struct TargetHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  // target -> seq of its every-host purge
  std::unordered_map<std::string, uint64_t, TargetHash, std::equal_to<>> recent_targets_;
};

CacheStore::CacheStore(CacheStoreOptions options) : options_(options) {
  uint32_t shards = std::bit_ceil(std::max<uint32_t>(options.shards, 1));
  options_.shards = shards;
  shard_mask_ = shards - 1;
  shard_shift_ = 64 - static_cast<unsigned>(std::countr_zero(shards));
  shard_budget_ = options.max_memory / shards;
  shards_.reserve(shards);
  for (uint32_t i = 0; i < shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(shard_budget_, options.max_prefixes_per_shard));
  }
}

CacheStore::~CacheStore() {
  // Stored entries pin themselves (StoreHooks::pin): unpin them all, or they would leak.
  clear();
}

CacheStore::Shard& CacheStore::shard_for(uint64_t hash) const {
  // With one shard the shift is 64, which C++ does not define: there is only shard 0.
  return *shards_[shard_mask_ == 0 ? 0 : (hash >> shard_shift_) & shard_mask_];
}

LookupResult CacheStore::lookup(std::string_view url_key, const http::HeaderList& request) {
  uint64_t hash = hash_key(url_key);
  Shard& shard = shard_for(hash);
  Released released;
  LookupResult result;
  {
    std::lock_guard lock(shard.mu);
    result.entry = shard.find(hash, url_key, request, released);
  }
  if (result.entry) {
    result.forced_stale = result.entry->seq() < stale_floor_.load(std::memory_order_acquire);
  }
  return result;
}

bool CacheStore::insert(const EntryRef& entry) {
  if (!entry) return false;
  uint64_t charge = entry->charge();
  if (charge > shard_budget_) return false;
  if (store_hooks(*entry).claimed.exchange(true, std::memory_order_acq_rel)) return false;
  uint64_t hash = hash_key(entry->url_key());
  Shard& shard = shard_for(hash);
  Released released;
  std::lock_guard lock(shard.mu);
  if (shard.invalidated_in_flight(*entry)) {
    store_hooks(*entry).claimed.store(false, std::memory_order_release);
    return false;
  }
  shard.link(entry, hash, charge, released);
  return true;
}

void CacheStore::replace(const EntryRef& old, const EntryRef& fresh) {
  if (!old || !fresh || old == fresh) return;
  if (old->url_key() != fresh->url_key()) {
    // Not a refresh of the same response; keep the contract literally anyway.
    if (remove_if_stored(old)) insert(fresh);
    return;
  }
  uint64_t charge = fresh->charge();
  if (store_hooks(*fresh).claimed.exchange(true, std::memory_order_acq_rel)) return;
  uint64_t hash = hash_key(old->url_key());
  Shard& shard = shard_for(hash);
  Released released;
  std::lock_guard lock(shard.mu);
  bool stored = shard.holds(old.get());
  if (stored) shard.unlink(old.get(), released);
  if (!stored || charge > shard_budget_ || shard.invalidated_in_flight(*fresh)) {
    store_hooks(*fresh).claimed.store(false, std::memory_order_release);
    return;
  }
  shard.link(fresh, hash, charge, released);
}

bool CacheStore::remove_if_stored(const EntryRef& entry) {
  uint64_t hash = hash_key(entry->url_key());
  Shard& shard = shard_for(hash);
  Released released;
  std::lock_guard lock(shard.mu);
  if (!shard.holds(entry.get())) return false;
  shard.unlink(entry.get(), released);
  return true;
}

size_t CacheStore::invalidate_url(std::string_view url_key) {
  invalidations_.fetch_add(1, std::memory_order_relaxed);
  uint64_t seq = next_seq();  // responses fetched from now on are newer than this write
  uint64_t hash = hash_key(url_key);
  Shard& shard = shard_for(hash);
  Released released;
  std::lock_guard lock(shard.mu);
  shard.record_url(url_key, seq);
  return shard.remove_at(hash, url_key, released);
}

void CacheStore::invalidate_prefix(std::string_view path_prefix, PrefixMatch match) {
  invalidations_.fetch_add(1, std::memory_order_relaxed);
  // Every entry built from now on has seq >= this one, so only older entries are affected.
  uint64_t seq = next_seq();
  for (const std::unique_ptr<Shard>& shard : shards_) {
    std::lock_guard lock(shard->mu);
    shard->record_prefix(path_prefix, seq, match);
  }
}

size_t CacheStore::purge_url(std::string_view url_key) { return invalidate_url(url_key); }

size_t CacheStore::purge_target(std::string_view target) {
  invalidations_.fetch_add(1, std::memory_order_relaxed);
  uint64_t seq = next_seq();  // responses fetched from now on are newer than this purge
  size_t removed = 0;
  for (const std::unique_ptr<Shard>& shard : shards_) {
    Released released;
    std::lock_guard lock(shard->mu);
    shard->record_target(target, seq);
    removed += shard->remove_target(target, released);
  }
  return removed;
}

size_t CacheStore::purge_prefix(std::string_view path_prefix) {
  invalidations_.fetch_add(1, std::memory_order_relaxed);
  size_t removed = 0;
  for (const std::unique_ptr<Shard>& shard : shards_) {
    Released released;
    std::lock_guard lock(shard->mu);
    removed += shard->remove_under(path_prefix, released);
  }
  return removed;
}

void CacheStore::mark_all_stale() { stale_floor_.store(next_seq(), std::memory_order_release); }

void CacheStore::clear() {
  for (const std::unique_ptr<Shard>& shard : shards_) {
    Released released;
    std::lock_guard lock(shard->mu);
    shard->remove_all(released);
  }
}

uint64_t CacheStore::current_seq() { return g_seq.load(std::memory_order_acquire); }

CacheStats CacheStore::stats() const {
  CacheStats s;
  for (const std::unique_ptr<Shard>& shard : shards_) {
    const ShardStats& st = shard->stats;
    s.entries += st.entries.load(std::memory_order_relaxed);
    s.bytes += st.bytes.load(std::memory_order_relaxed);
    s.inserts += st.inserts.load(std::memory_order_relaxed);
    s.evictions += st.evictions.load(std::memory_order_relaxed);
    s.purged += st.purged.load(std::memory_order_relaxed);
  }
  s.invalidations = invalidations_.load(std::memory_order_relaxed);
  return s;
}

uint64_t CacheStore::max_memory() const { return options_.max_memory; }

}  // namespace etagd::cache
