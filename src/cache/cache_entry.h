// One stored response: immutable once built, shared by every request that sends it.
// Everything an entry holds (key, header block, variant fields, body) lives in one
// allocation with the entry itself: no second allocation and no per-body bookkeeping. A send
// keeps the entry alive (an EntryRef) until the kernel has taken the body. An upstream 304
// (RFC 9111 §4.3.4) builds a new entry and copies the body once.
//
// Memory layout (LevelDB-style handle): the entry, then its URL key, header block, ETag,
// variant fields and body, in ONE heap allocation. The reference count and the store's
// hash-chain and LRU links live inside the entry, so storing it costs no separate node and no
// shared_ptr control block. charge() counts all of it, so the cache budget tracks process
// memory (bench/cache_overhead).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "http/content_coding.h"
#include "http/header_list.h"

namespace etagd::cache {

class CacheEntry;

// A counted reference to an entry, like std::shared_ptr<const CacheEntry> but one pointer
// wide: the count lives in the entry (intrusive), so an entry needs no control block. The
// entry is freed with its last reference, on whichever thread drops it. Copying and dropping
// are thread-safe; one EntryRef object is not shared between threads without a lock.
class EntryRef {
 public:
  EntryRef() = default;
  EntryRef(std::nullptr_t) {}
  EntryRef(const EntryRef& other) : p_(other.p_) { retain(); }
  EntryRef(EntryRef&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  EntryRef& operator=(const EntryRef& other) {
    EntryRef(other).swap(*this);
    return *this;
  }
  EntryRef& operator=(EntryRef&& other) noexcept {
    EntryRef(std::move(other)).swap(*this);
    return *this;
  }
  ~EntryRef() { release(); }

  const CacheEntry* get() const { return p_; }
  const CacheEntry& operator*() const { return *p_; }
  const CacheEntry* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  void reset() { EntryRef().swap(*this); }
  void swap(EntryRef& other) noexcept { std::swap(p_, other.p_); }
  // References to this entry right now (tests; racy by nature under concurrency).
  long use_count() const;

  // Hands the reference over as a raw pointer, for a C callback's argument (an evbuffer that
  // references the body until the kernel has taken it); from_raw() takes it back. Between
  // the two the entry stays alive; every pointer released must be taken back exactly once.
  const CacheEntry* release_to_raw() { return std::exchange(p_, nullptr); }
  static EntryRef from_raw(const CacheEntry* p) { return EntryRef(p, Adopt{}); }

  friend bool operator==(const EntryRef& a, const EntryRef& b) { return a.p_ == b.p_; }
  friend bool operator==(const EntryRef& a, std::nullptr_t) { return a.p_ == nullptr; }

 private:
  friend class CacheEntry;
  // Takes over a reference already counted (a freshly built entry starts at one).
  struct Adopt {};
  EntryRef(const CacheEntry* p, Adopt) : p_(p) {}
  inline void retain() const;
  inline void release();

  const CacheEntry* p_ = nullptr;
};

// Timing of a stored response, in whole seconds (RFC 9111 counts delta-seconds); names follow
// RFC 9111 §4.2.3.
struct Freshness {
  base::WallSeconds request_time{};   // when the request that fetched it was sent
  base::WallSeconds response_time{};  // when its response arrived
  base::WallSeconds date_value{};     // its Date header (response_time when absent or invalid)
  std::chrono::seconds age_value{0};  // its Age header (0 when absent)
  std::chrono::seconds lifetime{0};   // freshness lifetime (rule ttl, or s-maxage/max-age/Expires)
  std::chrono::seconds stale_if_error{0};          // past lifetime: may stand in for an error
  std::chrono::seconds stale_while_revalidate{0};  // past lifetime: may be sent while refreshing
  bool must_revalidate = false;  // must-revalidate/proxy-revalidate/s-maxage: never sent stale
  bool no_cache = false;         // response no-cache: revalidate before every use
  bool heuristic = false;        // the lifetime is a heuristic from Last-Modified (§4.2.2)
  // The lifetime is a rule ttl, etagd's own policy rather than the origin's word: it counts
  // from the response's arrival (as Varnish's beresp.ttl and nginx's proxy_cache_valid do),
  // so the time the origin took and the Date skew are not held against it; the origin's Age
  // still counts.
  bool lifetime_from_arrival = false;
};

// A request header a stored response varies on, with the value the storing request had
// ("" when absent). key_headers of the rule come first, then the response's Vary fields;
// each name appears once.
struct VaryField {
  std::string name;  // lowercase
  std::string value;
};

// A content-coded form of the stored response that etagd made itself (http/encoder.h): its
// own field block (the identity block with this representation's ETag and Content-Encoding)
// and its own body. RFC 9110 §8.8.3: a strong validator belongs to one representation, so each
// has its own ETag.
struct EncodedRepresentation {
  http::ContentCoding coding = http::ContentCoding::Identity;
  std::string header_block;  // as ResponseToStore::header_block
  std::string etag;          // as it appears in header_block; may be empty
  std::string body;
};

// One representation of an entry, viewed in place (the identity one or an encoded one).
struct Representation {
  http::ContentCoding coding = http::ContentCoding::Identity;
  std::string_view header_block;
  std::string_view etag;
  std::string_view body;
};

// One byte range of a stored 206 (RFC 9111 §3.3, partial_content.h): `length` bytes of the
// representation from offset `first`.
struct StoredRange {
  uint64_t first = 0;
  uint64_t length = 0;
  bool operator==(const StoredRange&) const = default;
};

// What the proxy hands over to build an entry.
struct ResponseToStore {
  int status = 200;
  // Field lines exactly as clients get them ("Name: value\r\n" each): rewritten
  // Cache-Control, ETag, Last-Modified, Vary... Never Date, Age, Content-Length, the cache
  // status header, or hop-by-hop fields: those are written per response.
  std::string header_block;
  std::string etag;                 // as sent: "\"...\"" or "W/\"...\""; may be empty
  bool etag_from_upstream = false;  // the upstream's own tag, usable in If-None-Match upstream
  // The upstream's Cache-Control let shared caches reuse it for requests with credentials
  // (http::shared_explicitly): proxy/decide.h serves it to such requests only then.
  bool shared_explicitly = false;
  std::optional<int64_t> last_modified;
  Freshness freshness;
  std::vector<VaryField> variant;
  std::string body;  // copied into the entry
  // The encoded representations, in the order the rule prefers them (at most
  // CacheEntry::kMaxEncoded); the entry's charge counts them with everything else.
  std::vector<EncodedRepresentation> encoded;
  // Partial content (status 206): the ranges of the representation that `body` holds, in
  // ascending order, disjoint, their bytes one after another; and the representation's
  // complete length. Empty for a whole response.
  std::vector<StoredRange> parts;
  uint64_t complete_length = 0;
  // CacheStore::current_seq() when the upstream request was sent; 0 = read it in make().
  // Reading it before the fetch closes a race: a response fetched before an invalidate_prefix
  // but stored after it is then still treated as invalidated.
  uint64_t seq = 0;
};

// The store's bookkeeping inside an entry (intrusive links, as LevelDB's LRUHandle).
// Only the cache store (cache_store.cpp, entry_table.h, lru_list.h) touches it, through
// store_hooks(), under the mutex of the shard that holds the entry.
struct StoreHooks {
  const CacheEntry* lru_prev = nullptr;
  const CacheEntry* lru_next = nullptr;
  const CacheEntry* chain_next = nullptr;  // next entry in the same hash bucket
  const CacheEntry* target_next = nullptr; // next in the same TargetIndex bucket (any host)
  EntryRef pin;                            // the store's own reference while stored
  uint32_t hash = 0;                       // low bits of the URL-key hash (bucket choice)
  std::atomic<bool> claimed{false};        // stored in some shard (an entry is stored once)
};

class CacheEntry {
  struct Layout;  // where the entry's bytes go (cache_entry.cpp)

 public:
  // Bodies above this are never stored (config limits max_object_size to it), so the entry's
  // lengths and offsets fit in 32 bits.
  static constexpr size_t kMaxBody = size_t{1} << 30;
  // Encoded representations an entry holds at most (one per coding etagd produces).
  static constexpr size_t kMaxEncoded = 3;
  // Ranges a partial entry holds at most: each 206 can add one, and a client asking for
  // every other byte must not make an entry of a million parts.
  static constexpr size_t kMaxParts = 64;

  // Builds an entry for the response at `url_key` (see cache_key.h). Throws std::length_error
  // for a body above kMaxBody or more than 1 GiB of header text.
  static EntryRef make(std::string_view url_key, ResponseToStore&& r);
  // A copy of `old` with new header block, validators and freshness but the same body:
  // what an upstream 304 turns a stale entry into (RFC 9111 §4.3.4). Status, body and variant
  // fields are taken from `old`; those of `r` are ignored. `r.encoded` gives the new field
  // blocks and ETags of old's encoded representations (same codings, same order, bodies
  // empty): the bodies are old's.
  static EntryRef refreshed(const CacheEntry& old, ResponseToStore&& r);

  std::string_view url_key() const { return {tail(), key_len_}; }
  int status() const { return status_; }
  std::string_view header_block() const { return {tail() + key_len_, header_len_}; }
  std::string_view etag() const { return {tail() + etag_offset_, etag_len_}; }
  bool etag_from_upstream() const { return (flags_ & kEtagFromUpstream) != 0; }
  bool shared_explicitly() const { return (flags_ & kSharedExplicitly) != 0; }
  std::optional<int64_t> last_modified() const;
  // Returned by value: stored packed (32-bit deltas), see cache_entry.cpp.
  Freshness freshness() const;
  std::string_view body() const { return {tail() + body_offset_, body_len_}; }
  // Returned by value: the fields are stored packed in the entry's own allocation.
  std::vector<VaryField> variant() const;

  // The response as stored: header_block(), etag() and body().
  Representation identity() const {
    return {http::ContentCoding::Identity, header_block(), etag(), body()};
  }
  // The representations etagd encoded (ResponseToStore::encoded), in the same order.
  size_t encoded_count() const { return encoded_count_; }
  Representation encoded(size_t i) const;

  // Partial content (ResponseToStore::parts): how many ranges, the representation's complete
  // length (0 for a whole response), and range i with its bytes (a view into body()).
  size_t part_count() const { return part_count_; }
  uint64_t complete_length() const;
  struct Part {
    uint64_t first = 0;
    std::string_view bytes;
  };
  Part part(size_t i) const;

  // True if `request` has the same value for every field this entry varies on.
  // A repeated request field compares as its combined value (RFC 9110 §5.3).
  bool matches_variant(const http::HeaderList& request) const;
  // True if both vary on the same fields with the same values, in any order (the store keeps
  // one entry per such set and URL). Field names within one entry are unique.
  bool same_variant_as(const CacheEntry& other) const;

  // RFC 9111 §4.2.3 current_age at `now`: what Age says.
  std::chrono::seconds current_age(base::WallSeconds now) const;
  // The age compared with the lifetime: current_age, or under lifetime_from_arrival the
  // origin's Age plus the time since the response arrived.
  std::chrono::seconds freshness_age(base::WallSeconds now) const;
  // freshness_age < lifetime and not no_cache.
  bool is_fresh(base::WallSeconds now) const;
  // May stand in for an upstream error at `now` (stale-if-error window, not must_revalidate).
  bool usable_on_error(base::WallSeconds now) const;
  // May be sent while one background request refreshes it (stale-while-revalidate window).
  bool usable_while_revalidating(base::WallSeconds now) const;

  // Bytes charged against the cache budget: everything the entry holds, including its key,
  // header block, body, variant data and bookkeeping (and the store's per-entry overhead).
  size_t charge() const;

  // Store bookkeeping: the invalidation sequence number current when this entry was built.
  uint64_t seq() const { return seq_; }

  // Entries alive in this process and the sum of their charges: stored ones, and evicted ones
  // still being sent. What the cache really holds; tests use it to see entries freed.
  struct Census {
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };
  static Census census();

  CacheEntry(const CacheEntry&) = delete;
  CacheEntry& operator=(const CacheEntry&) = delete;

 private:
  static constexpr uint8_t kEtagFromUpstream = 1;
  static constexpr uint8_t kHasLastModified = 2;
  static constexpr uint8_t kMustRevalidate = 4;
  static constexpr uint8_t kNoCache = 8;
  static constexpr uint8_t kHeuristic = 16;
  static constexpr uint8_t kSharedExplicitly = 32;
  static constexpr uint8_t kLifetimeFromArrival = 64;

  friend StoreHooks& store_hooks(const CacheEntry& e) { return e.hooks_; }
  friend class EntryRef;

  CacheEntry(const Layout& layout, std::string_view url_key, ResponseToStore&& r,
             std::string_view body, const std::string_view* encoded_bodies);
  ~CacheEntry();
  static EntryRef build(std::string_view url_key, ResponseToStore&& r, std::string_view body,
                        const std::string_view* encoded_bodies);
  // Runs the destructor and frees the allocation; called with the last reference.
  static void destroy(const CacheEntry* e);
  // Size of the entry's one block: the entry and its tail.
  size_t block_bytes() const {
    return sizeof(CacheEntry) + size_t{body_offset_} + body_len_ + encoded_bytes_;
  }
  // Where the partial-content table starts in the tail: right before the body.
  size_t parts_offset() const {
    return body_offset_ - (part_count_ == 0 ? 0 : sizeof(uint64_t) * (1 + 2 * size_t{part_count_}));
  }
  // The bytes after the entry in its allocation.
  const char* tail() const { return reinterpret_cast<const char*>(this + 1); }
  // Calls fn(name, value) for each field this entry varies on, until fn returns false.
  template <typename Fn>
  bool for_each_vary_field(Fn&& fn) const;

  mutable StoreHooks hooks_;
  uint64_t seq_;
  int64_t response_time_;
  int64_t last_modified_;
  mutable std::atomic<uint32_t> refs_{1};
  // Freshness packed as 32-bit deltas from response_time (values clamp at 2^31, which
  // RFC 9111 §1.2.2 allows for any delta-seconds too large to represent).
  int32_t request_delay_;  // response_time - request_time
  int32_t date_skew_;      // response_time - date_value
  uint32_t age_value_;
  uint32_t lifetime_;
  uint32_t stale_if_error_;
  uint32_t stale_while_revalidate_;
  // The tail: url_key, header_block, the ETag unless the block contains it, then per
  // VaryField: name length and value length (uint32_t each, unaligned), name, value; then,
  // for partial content, the complete length and per part its first offset and length
  // (uint64_t each, unaligned); then the body; then per encoded representation: a RepresentationRecord (unaligned), its header
  // block, its body. Offsets count from tail().
  uint32_t key_len_;
  uint32_t header_len_;
  uint32_t etag_offset_;
  uint32_t etag_len_;
  uint32_t variant_offset_;
  uint32_t body_offset_;
  uint32_t body_len_;
  uint32_t encoded_bytes_;  // the encoded representations' records, field blocks and bodies
  uint16_t variant_count_;
  uint8_t encoded_count_;
  uint16_t status_;
  uint8_t flags_;
  uint8_t part_count_;
};

inline void EntryRef::retain() const {
  if (p_ != nullptr) p_->refs_.fetch_add(1, std::memory_order_relaxed);
}

inline void EntryRef::release() {
  // acq_rel: the thread that frees the entry sees every other thread's reads of it finished.
  if (p_ != nullptr && p_->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    CacheEntry::destroy(p_);
  }
  p_ = nullptr;
}

inline long EntryRef::use_count() const {
  return p_ == nullptr ? 0 : static_cast<long>(p_->refs_.load(std::memory_order_relaxed));
}

}  // namespace etagd::cache
