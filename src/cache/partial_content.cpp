#include "cache/partial_content.h"

#include <algorithm>

#include "base/invariant.h"
#include "http/etag.h"

namespace etagd::cache {

std::optional<PartValidator> strong_validator(std::string_view etag,
                                              std::optional<int64_t> last_modified,
                                              std::optional<int64_t> date) {
  PartValidator v;
  if (!etag.empty()) {
    http::EntityTag tag;
    if (!http::parse_entity_tag(etag, tag) || tag.weak) return std::nullopt;
    v.etag = std::string(tag.opaque);
    return v;
  }
  if (!last_modified || !date || *date < *last_modified + 1) return std::nullopt;
  v.last_modified = last_modified;
  return v;
}

void add_part(PartialContent& content, uint64_t first, std::string_view bytes) {
  if (bytes.empty()) return;
  uint64_t last = first + bytes.size() - 1;
  std::vector<StoredPart>& parts = content.parts;
  // The parts that overlap or touch [first, last]: a contiguous run, since parts are sorted
  // and disjoint.
  auto begin = std::find_if(parts.begin(), parts.end(),
                            [&](const StoredPart& p) { return p.last() + 1 >= first; });
  auto end = std::find_if(begin, parts.end(),
                          [&](const StoredPart& p) { return p.first > last + 1; });
  StoredPart merged;
  merged.first = first;
  if (begin != end) {
    merged.first = std::min(first, begin->first);
    uint64_t merged_last = std::max(last, std::prev(end)->last());
    merged.bytes.assign(merged_last - merged.first + 1, '\0');
    for (auto it = begin; it != end; ++it) {
      merged.bytes.replace(it->first - merged.first, it->bytes.size(), it->bytes);
    }
    merged.bytes.replace(first - merged.first, bytes.size(), bytes);
  } else {
    merged.bytes = std::string(bytes);
  }
  auto at = parts.erase(begin, end);
  parts.insert(at, std::move(merged));
}

namespace {

// The part that holds byte `offset`, or null.
const StoredPart* part_holding(const PartialContent& content, uint64_t offset) {
  auto it = std::upper_bound(content.parts.begin(), content.parts.end(), offset,
                             [](uint64_t o, const StoredPart& p) { return o < p.first; });
  if (it == content.parts.begin()) return nullptr;
  --it;
  return offset <= it->last() ? &*it : nullptr;
}

}  // namespace

bool covers(const PartialContent& content, const http::ByteRange& range) {
  // Parts never touch, so a covered range lies inside one part.
  const StoredPart* p = part_holding(content, range.first);
  return p != nullptr && range.last <= p->last();
}

std::string_view slice(const PartialContent& content, const http::ByteRange& range) {
  const StoredPart* p = part_holding(content, range.first);
  ETAGD_ASSERT(p != nullptr && range.last <= p->last(), "a slice of stored bytes only");
  if (p == nullptr || range.last > p->last()) return {};
  return std::string_view(p->bytes).substr(range.first - p->first, range.size());
}

bool is_complete(const PartialContent& content) {
  return content.parts.size() == 1 && content.parts.front().first == 0 &&
         content.parts.front().bytes.size() == content.complete_length;
}

uint64_t stored_bytes(const PartialContent& content) {
  uint64_t n = content.header_block.size() + content.validator.etag.size();
  for (const StoredPart& p : content.parts) n += p.bytes.size();
  return n;
}

PartialContent partial_of(const CacheEntry& entry) {
  PartialContent c;
  c.complete_length = entry.complete_length();
  c.validator.etag = std::string(entry.etag());
  if (c.validator.etag.empty()) c.validator.last_modified = entry.last_modified();
  c.header_block = std::string(entry.header_block());
  c.parts.reserve(entry.part_count());
  for (size_t i = 0; i < entry.part_count(); ++i) {
    CacheEntry::Part p = entry.part(i);
    c.parts.push_back({p.first, std::string(p.bytes)});
  }
  return c;
}

void put_parts(PartialContent&& content, ResponseToStore& r) {
  r.complete_length = content.complete_length;
  r.parts.clear();
  r.body.clear();
  uint64_t total = 0;
  for (const StoredPart& p : content.parts) total += p.bytes.size();
  r.body.reserve(total);
  for (const StoredPart& p : content.parts) {
    r.parts.push_back({p.first, p.bytes.size()});
    r.body += p.bytes;
  }
}

}  // namespace etagd::cache
