#include "cache/cache_entry.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "base/invariant.h"
#include "cache/cache_key.h"
#include "cache/cache_store.h"
#include "cache/entry_memory.h"
#include "http/accept_encoding.h"
#include "http/list_normalisation.h"
#include "http/token.h"

namespace etagd::cache {

// Where build() puts an entry's tail (see the member comments in cache_entry.h).
struct CacheEntry::Layout {
  size_t tail_bytes = 0;
  size_t etag_in_block = std::string_view::npos;  // offset of the ETag text in header_block
  size_t variant_offset = 0;
  size_t body_offset = 0;
  size_t encoded_bytes = 0;
};

// What precedes each encoded representation's bytes in the tail (copied with memcpy: the
// tail has no alignment). The ETag lies in the field block at etag_offset, or, when the block
// does not contain it, right after the block (etag_offset == header_len).
struct RepresentationRecord {
  uint32_t coding;
  uint32_t header_len;
  uint32_t etag_offset;
  uint32_t etag_len;
  uint32_t body_len;
};

namespace {

// Every entry alive, for CacheEntry::census(). Touched once per entry built and freed (a miss,
// not a hit), so two shared counters cost nothing measurable.
std::atomic<uint64_t> g_live_entries{0};
std::atomic<uint64_t> g_live_bytes{0};

// RFC 9111 §1.2.2: a delta too large to represent is taken as 2^31.
constexpr int64_t kDeltaCap = int64_t{1} << 31;

uint32_t pack_seconds(std::chrono::seconds duration) {
  return static_cast<uint32_t>(std::clamp<int64_t>(duration.count(), 0, kDeltaCap));
}

int64_t unix_seconds(base::WallSeconds t) { return t.time_since_epoch().count(); }

int32_t pack_delta(base::WallSeconds later_time, base::WallSeconds earlier_time) {
  int64_t later = unix_seconds(later_time);
  int64_t earlier = unix_seconds(earlier_time);
  int64_t d = 0;
  if (__builtin_sub_overflow(later, earlier, &d)) {
    d = later > earlier ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return static_cast<int32_t>(std::clamp<int64_t>(d, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

// Compares the stored value of a varying field with the request's field lines, as
// HeaderList::combined() would join them (", " between lines), without building the string.
bool equals_combined(const http::HeaderList& request, std::string_view name,
                     std::string_view stored) {
  size_t pos = 0;
  for (const http::HeaderField& f : request) {
    if (!http::iequals(f.name, name)) continue;
    if (pos > 0) {
      if (stored.substr(pos, 2) != ", ") return false;
      pos += 2;
    }
    if (stored.substr(pos, f.value.size()) != f.value) return false;
    pos += f.value.size();
  }
  return pos == stored.size();
}

// The store's hash bucket slots: an 8-byte bucket pointer per entry at a load factor of 1/2 in
// the URL-key table (entry_table.h keeps it between 1/4 and 1), and at a load factor of 1 in
// the target index (target_index.h keeps it between 1/2 and 2).
constexpr size_t kStoreSlotBytes = 2 * sizeof(void*) + sizeof(void*);

// Copies `text` to `out` and returns the end (memcpy must not see the null data() of an
// empty view).
char* put(char* out, std::string_view text) {
  if (!text.empty()) std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

}  // namespace

CacheEntry::CacheEntry(const Layout& layout, std::string_view url_key, ResponseToStore&& r,
                       std::string_view body, const std::string_view* encoded_bodies)
    : seq_(r.seq != 0 ? r.seq : CacheStore::current_seq()),
      response_time_(unix_seconds(r.freshness.response_time)),
      last_modified_(r.last_modified.value_or(0)),
      request_delay_(pack_delta(r.freshness.response_time, r.freshness.request_time)),
      date_skew_(pack_delta(r.freshness.response_time, r.freshness.date_value)),
      age_value_(pack_seconds(r.freshness.age_value)),
      lifetime_(pack_seconds(r.freshness.lifetime)),
      stale_if_error_(pack_seconds(r.freshness.stale_if_error)),
      stale_while_revalidate_(pack_seconds(r.freshness.stale_while_revalidate)),
      key_len_(static_cast<uint32_t>(url_key.size())),
      header_len_(static_cast<uint32_t>(r.header_block.size())),
      etag_offset_(0),
      etag_len_(static_cast<uint32_t>(r.etag.size())),
      variant_offset_(static_cast<uint32_t>(layout.variant_offset)),
      body_offset_(static_cast<uint32_t>(layout.body_offset)),
      body_len_(static_cast<uint32_t>(body.size())),
      encoded_bytes_(static_cast<uint32_t>(layout.encoded_bytes)),
      variant_count_(static_cast<uint16_t>(r.variant.size())),
      encoded_count_(static_cast<uint8_t>(r.encoded.size())),
      status_(static_cast<uint16_t>(std::clamp(r.status, 0, 999))),
      flags_(0),
      part_count_(static_cast<uint8_t>(r.parts.size())) {
  char* out = put(const_cast<char*>(tail()), url_key);
  out = put(out, r.header_block);
  if (layout.etag_in_block != std::string_view::npos) {
    etag_offset_ = static_cast<uint32_t>(key_len_ + layout.etag_in_block);
  } else {
    etag_offset_ = key_len_ + header_len_;
    out = put(out, r.etag);
  }
  for (const VaryField& v : r.variant) {
    uint32_t lengths[2] = {static_cast<uint32_t>(v.name.size()),
                           static_cast<uint32_t>(v.value.size())};
    std::memcpy(out, lengths, sizeof lengths);
    out = put(out + sizeof lengths, v.name);
    out = put(out, v.value);
  }
  if (!r.parts.empty()) {
    std::memcpy(out, &r.complete_length, sizeof r.complete_length);
    out += sizeof r.complete_length;
    for (const StoredRange& part : r.parts) {
      uint64_t span[2] = {part.first, part.length};
      std::memcpy(out, span, sizeof span);
      out += sizeof span;
    }
  }
  out = put(out, body);
  for (size_t i = 0; i < r.encoded.size(); ++i) {
    const EncodedRepresentation& e = r.encoded[i];
    size_t in_block = e.etag.empty() ? 0 : e.header_block.find(e.etag);
    RepresentationRecord rec{static_cast<uint32_t>(e.coding),
                             static_cast<uint32_t>(e.header_block.size()),
                             static_cast<uint32_t>(in_block == std::string::npos
                                                       ? e.header_block.size()
                                                       : in_block),
                             static_cast<uint32_t>(e.etag.size()),
                             static_cast<uint32_t>(encoded_bodies[i].size())};
    std::memcpy(out, &rec, sizeof rec);
    out = put(out + sizeof rec, e.header_block);
    if (in_block == std::string::npos) out = put(out, e.etag);
    out = put(out, encoded_bodies[i]);
  }
  if (r.etag_from_upstream) flags_ |= kEtagFromUpstream;
  if (r.last_modified) flags_ |= kHasLastModified;
  if (r.freshness.must_revalidate) flags_ |= kMustRevalidate;
  if (r.freshness.no_cache) flags_ |= kNoCache;
  if (r.freshness.heuristic) flags_ |= kHeuristic;
  if (r.shared_explicitly) flags_ |= kSharedExplicitly;
  if (r.freshness.lifetime_from_arrival) flags_ |= kLifetimeFromArrival;
  g_live_entries.fetch_add(1, std::memory_order_relaxed);
  g_live_bytes.fetch_add(charge(), std::memory_order_relaxed);
}

CacheEntry::~CacheEntry() {
  g_live_entries.fetch_sub(1, std::memory_order_relaxed);
  g_live_bytes.fetch_sub(charge(), std::memory_order_relaxed);
}

void CacheEntry::destroy(const CacheEntry* e) {
  size_t bytes = e->block_bytes();
  e->~CacheEntry();
  free_entry_block(const_cast<CacheEntry*>(e), bytes);
}

CacheEntry::Census CacheEntry::census() {
  return {g_live_entries.load(std::memory_order_relaxed),
          g_live_bytes.load(std::memory_order_relaxed)};
}

EntryRef CacheEntry::build(std::string_view url_key, ResponseToStore&& r, std::string_view body,
                           const std::string_view* encoded_bodies) {
  Layout layout;
  // The ETag is normally one of the header block's field values: point at it there.
  if (!r.etag.empty()) layout.etag_in_block = r.header_block.find(r.etag);
  layout.variant_offset = url_key.size() + r.header_block.size() +
                          (layout.etag_in_block == std::string_view::npos ? r.etag.size() : 0);
  layout.tail_bytes = layout.variant_offset;
  for (const VaryField& v : r.variant) {
    layout.tail_bytes += 2 * sizeof(uint32_t) + v.name.size() + v.value.size();
  }
  // Header text is bounded by the head size limits and bodies by max_object_size long before
  // this; the check keeps the 32-bit offsets honest whatever the caller does.
  if (layout.tail_bytes > kMaxBody || body.size() > kMaxBody ||
      r.variant.size() > std::numeric_limits<uint16_t>::max() || r.encoded.size() > kMaxEncoded ||
      r.parts.size() > kMaxParts) {
    throw std::length_error("cache entry with more than 1 GiB of header text or body");
  }
  if (!r.parts.empty()) layout.tail_bytes += sizeof(uint64_t) * (1 + 2 * r.parts.size());
  layout.body_offset = layout.tail_bytes;
  layout.tail_bytes += body.size();
  // Each encoded representation is smaller than the body and its block than kMaxBody (the
  // proxy keeps only those that shrink), so three of them stay below 4 GiB in all.
  for (size_t i = 0; i < r.encoded.size(); ++i) {
    const EncodedRepresentation& e = r.encoded[i];
    if (e.header_block.size() > kMaxBody || encoded_bodies[i].size() > kMaxBody) {
      throw std::length_error("encoded representation with more than 1 GiB of header text or body");
    }
    bool etag_in_block = e.etag.empty() || e.header_block.find(e.etag) != std::string::npos;
    layout.encoded_bytes += sizeof(RepresentationRecord) + e.header_block.size() +
                            (etag_in_block ? 0 : e.etag.size()) + encoded_bodies[i].size();
  }
  layout.tail_bytes += layout.encoded_bytes;
  const size_t block_bytes = sizeof(CacheEntry) + layout.tail_bytes;
  void* block = allocate_entry_block(block_bytes);
  const CacheEntry* e;
  try {
    e = new (block) CacheEntry(layout, url_key, std::move(r), body, encoded_bodies);
  } catch (...) {
    free_entry_block(block, block_bytes);
    throw;
  }
  return EntryRef(e, EntryRef::Adopt{});
}

EntryRef CacheEntry::make(std::string_view url_key, ResponseToStore&& r) {
  std::string body = std::move(r.body);
  std::array<std::string, kMaxEncoded> encoded_bodies;
  std::array<std::string_view, kMaxEncoded> views;
  for (size_t i = 0; i < r.encoded.size() && i < kMaxEncoded; ++i) {
    encoded_bodies[i] = std::move(r.encoded[i].body);
    views[i] = encoded_bodies[i];
  }
  return build(url_key, std::move(r), body, views.data());
}

EntryRef CacheEntry::refreshed(const CacheEntry& old, ResponseToStore&& r) {
  r.status = old.status_;
  r.variant = old.variant();
  r.parts.clear();
  for (size_t i = 0; i < old.part_count(); ++i) {
    Part p = old.part(i);
    r.parts.push_back({p.first, p.bytes.size()});
  }
  r.complete_length = old.complete_length();
  // The same representations with the new fields; a caller that gives none (or others)
  // gets the identity representation only.
  std::array<std::string_view, kMaxEncoded> views;
  bool same = r.encoded.size() == old.encoded_count();
  for (size_t i = 0; same && i < r.encoded.size(); ++i) {
    Representation o = old.encoded(i);
    same = o.coding == r.encoded[i].coding;
    views[i] = o.body;
  }
  if (!same) r.encoded.clear();
  return build(old.url_key(), std::move(r), old.body(), views.data());
}

Representation CacheEntry::encoded(size_t i) const {
  ETAGD_ASSERT(i < encoded_count_, "an entry's encoded representations are counted");
  const char* p = tail() + size_t{body_offset_} + body_len_;
  RepresentationRecord rec;
  for (size_t j = 0; j <= i; ++j) {
    if (j > 0) p += rec.header_len + (rec.etag_offset == rec.header_len ? rec.etag_len : 0) + rec.body_len;
    std::memcpy(&rec, p, sizeof rec);
    p += sizeof rec;
  }
  size_t etag_extra = rec.etag_offset == rec.header_len ? rec.etag_len : 0;
  return {static_cast<http::ContentCoding>(rec.coding), std::string_view(p, rec.header_len),
          std::string_view(p + rec.etag_offset, rec.etag_len),
          std::string_view(p + rec.header_len + etag_extra, rec.body_len)};
}

uint64_t CacheEntry::complete_length() const {
  if (part_count_ == 0) return 0;
  uint64_t length;
  std::memcpy(&length, tail() + parts_offset(), sizeof length);
  return length;
}

CacheEntry::Part CacheEntry::part(size_t i) const {
  ETAGD_ASSERT(i < part_count_, "an entry's parts are counted");
  const char* table = tail() + parts_offset() + sizeof(uint64_t);
  uint64_t offset_in_body = 0;
  uint64_t span[2];
  for (size_t j = 0; j <= i; ++j) {
    std::memcpy(span, table + j * sizeof span, sizeof span);
    if (j < i) offset_in_body += span[1];
  }
  return {span[0], body().substr(offset_in_body, span[1])};
}

template <typename Fn>
bool CacheEntry::for_each_vary_field(Fn&& fn) const {
  const char* p = tail() + variant_offset_;
  for (uint16_t i = 0; i < variant_count_; ++i) {
    uint32_t lengths[2];
    std::memcpy(lengths, p, sizeof lengths);
    p += sizeof lengths;
    std::string_view name(p, lengths[0]);
    std::string_view value(p + lengths[0], lengths[1]);
    p += lengths[0] + lengths[1];
    if (!fn(name, value)) return false;
  }
  return true;
}

std::optional<int64_t> CacheEntry::last_modified() const {
  if ((flags_ & kHasLastModified) == 0) return std::nullopt;
  return last_modified_;
}

Freshness CacheEntry::freshness() const {
  using std::chrono::seconds;
  Freshness f;
  f.response_time = base::WallSeconds(seconds(response_time_));
  f.request_time = f.response_time - seconds(request_delay_);
  f.date_value = f.response_time - seconds(date_skew_);
  f.age_value = seconds(age_value_);
  f.lifetime = seconds(lifetime_);
  f.stale_if_error = seconds(stale_if_error_);
  f.stale_while_revalidate = seconds(stale_while_revalidate_);
  f.must_revalidate = (flags_ & kMustRevalidate) != 0;
  f.no_cache = (flags_ & kNoCache) != 0;
  f.heuristic = (flags_ & kHeuristic) != 0;
  f.lifetime_from_arrival = (flags_ & kLifetimeFromArrival) != 0;
  return f;
}

std::vector<VaryField> CacheEntry::variant() const {
  std::vector<VaryField> fields;
  fields.reserve(variant_count_);
  for_each_vary_field([&](std::string_view name, std::string_view value) {
    fields.push_back({std::string(name), std::string(value)});
    return true;
  });
  return fields;
}

bool CacheEntry::matches_variant(const http::HeaderList& request) const {
  return for_each_vary_field([&](std::string_view name, std::string_view value) {
    if (name.starts_with(kCookieFieldPrefix)) return variant_value(request, name) == value;
    if (name == kAcceptEncodingField) return http::accept_encoding_variant_key(request) == value;
    if (http::has_list_normalisation(name)) return variant_value(request, name) == value;
    return equals_combined(request, name, value);
  });
}

bool CacheEntry::same_variant_as(const CacheEntry& other) const {
  // Order does not matter: "Vary: A, B" and "Vary: B, A" select the same responses.
  if (variant_count_ != other.variant_count_) return false;
  return for_each_vary_field([&](std::string_view name, std::string_view value) {
    return !other.for_each_vary_field([&](std::string_view n, std::string_view v) {
      return !(n == name && v == value);  // stop (false) at the equal field
    });
  });
}

std::chrono::seconds CacheEntry::current_age(base::WallSeconds now) const {
  // RFC 9111 §4.2.3. Negative intervals (clocks that disagree, or went backwards) count as 0,
  // so an age never goes below what the response said it was.
  int64_t apparent_age = std::max<int64_t>(0, date_skew_);
  int64_t response_delay = std::max<int64_t>(0, request_delay_);
  int64_t corrected_age_value = int64_t{age_value_} + response_delay;
  int64_t corrected_initial_age = std::max(apparent_age, corrected_age_value);
  int64_t now_s = now.time_since_epoch().count();
  int64_t resident_time = now_s > response_time_ ? now_s - response_time_ : 0;
  return std::chrono::seconds(corrected_initial_age + std::min(resident_time, int64_t{1} << 40));
}

std::chrono::seconds CacheEntry::freshness_age(base::WallSeconds now) const {
  if ((flags_ & kLifetimeFromArrival) == 0) return current_age(now);
  int64_t now_s = now.time_since_epoch().count();
  int64_t resident_time = now_s > response_time_ ? now_s - response_time_ : 0;
  return std::chrono::seconds(int64_t{age_value_} + std::min(resident_time, int64_t{1} << 40));
}

bool CacheEntry::is_fresh(base::WallSeconds now) const {
  return (flags_ & kNoCache) == 0 && freshness_age(now).count() < int64_t{lifetime_};
}

bool CacheEntry::usable_on_error(base::WallSeconds now) const {
  // RFC 9111 §4.2.4: no-cache and must-revalidate forbid sending it stale, errors included.
  if ((flags_ & (kMustRevalidate | kNoCache)) != 0) return false;
  return freshness_age(now).count() < int64_t{lifetime_} + int64_t{stale_if_error_};
}

bool CacheEntry::usable_while_revalidating(base::WallSeconds now) const {
  if ((flags_ & (kMustRevalidate | kNoCache)) != 0) return false;
  return freshness_age(now).count() < int64_t{lifetime_} + int64_t{stale_while_revalidate_};
}

size_t CacheEntry::charge() const {
  return entry_block_bytes(block_bytes()) + kStoreSlotBytes;
}

}  // namespace etagd::cache
