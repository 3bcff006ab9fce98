#include "proxy/partial_entry.h"

#include <limits>

#include "http/etag.h"
#include "http/http_date.h"

namespace etagd::proxy {

namespace {

// The part of `entry` that holds every byte of `range`, if any. Parts never touch
// (partial_content.h), so a held range lies inside one part.
std::optional<cache::CacheEntry::Part> find_part(const cache::CacheEntry& entry,
                                                 const http::ByteRange& range) {
  for (size_t i = 0; i < entry.part_count(); ++i) {
    cache::CacheEntry::Part p = entry.part(i);
    if (p.first <= range.first && range.last < p.first + p.bytes.size()) return p;
  }
  return std::nullopt;
}

// The validator a stored part was accepted with (strong_validator): its entity-tag, or its
// Last-Modified when it has none.
cache::PartValidator validator_of(const cache::CacheEntry& entry) {
  cache::PartValidator v;
  http::EntityTag tag;
  if (!entry.etag().empty() && http::parse_entity_tag(entry.etag(), tag)) {
    v.etag = std::string(tag.opaque);
  } else {
    v.last_modified = entry.last_modified();
  }
  return v;
}

}  // namespace

bool forwards_range(const http::RequestHead& request, const config::RuleActions& rule) {
  if (rule.range != config::RangePolicy::Forward || request.method != http::Method::Get) {
    return false;
  }
  if (request.headers.count("range") != 1) return false;
  // Resolved against the largest length: only the syntax (and the number of ranges) decides.
  http::RangeRequest r = http::resolve_range(request.headers.get("range"),
                                             std::numeric_limits<uint64_t>::max());
  return r.outcome == http::RangeRequest::Outcome::Satisfiable;
}

bool partial_covers(const http::RequestHead& request, const cache::CacheEntry& partial) {
  if (partial.part_count() == 0 || request.headers.count("range") != 1) return false;
  if (const http::HeaderField* f = request.headers.find("if-range")) {
    if (!http::if_range_matches(f->value, partial.etag(), partial.last_modified())) return false;
  }
  http::RangeRequest r = http::resolve_range(request.headers.get("range"), partial.complete_length());
  if (r.outcome != http::RangeRequest::Outcome::Satisfiable) return false;
  for (const http::ByteRange& range : r.ranges) {
    if (!find_part(partial, range)) return false;
  }
  return true;
}

RangeAnswer plan_partial(const http::RequestHead& request, const cache::CacheEntry& partial) {
  RangeAnswer answer;
  answer.kind = RangeAnswer::Kind::Partial;
  if (partial_covers(request, partial)) {
    answer.ranges = http::resolve_range(request.headers.get("range"), partial.complete_length()).ranges;
    return answer;
  }
  for (size_t i = 0; i < partial.part_count(); ++i) {
    cache::CacheEntry::Part p = partial.part(i);
    answer.ranges.push_back({p.first, p.first + p.bytes.size() - 1});
  }
  return answer;
}

std::optional<StorablePart> storable_part(const http::ResponseHead& head,
                                          uint64_t max_object_size) {
  if (head.status != 206 || head.headers.count("content-range") != 1) return std::nullopt;
  std::optional<http::ContentRange> cr = http::parse_content_range(head.headers.get("content-range"));
  // §3.3: without the complete length the parts can never be known to make the whole.
  if (!cr || !cr->complete_length || *cr->complete_length > max_object_size) return std::nullopt;
  if (head.content_length && *head.content_length != cr->range.size()) return std::nullopt;
  std::optional<int64_t> last_modified, date;
  if (std::string_view lm = head.headers.get("last-modified"); !lm.empty()) {
    last_modified = http::parse_http_date(lm);
  }
  if (std::string_view d = head.headers.get("date"); !d.empty()) date = http::parse_http_date(d);
  std::optional<cache::PartValidator> v =
      cache::strong_validator(head.headers.get("etag"), last_modified, date);
  if (!v) return std::nullopt;
  return StorablePart{cr->range, *cr->complete_length, std::move(*v)};
}

cache::PartialContent combine(const cache::CacheEntry* stored, const StorablePart& part,
                              std::string_view bytes) {
  cache::PartialContent c;
  if (stored && stored->part_count() > 0 && stored->complete_length() == part.complete_length &&
      validator_of(*stored) == part.validator) {
    c = cache::partial_of(*stored);
  }
  c.complete_length = part.complete_length;
  c.validator = part.validator;
  cache::add_part(c, part.range.first, bytes);
  if (c.parts.size() > cache::CacheEntry::kMaxParts) {
    c.parts.clear();
    cache::add_part(c, part.range.first, bytes);
  }
  return c;
}

std::string_view held_bytes(const cache::CacheEntry& entry, const http::ByteRange& range) {
  if (entry.part_count() == 0) return entry.body().substr(range.first, range.size());
  std::optional<cache::CacheEntry::Part> p = find_part(entry, range);
  if (!p) return {};
  return p->bytes.substr(range.first - p->first, range.size());
}

uint64_t representation_length(const cache::CacheEntry& entry) {
  return entry.part_count() > 0 ? entry.complete_length() : entry.body().size();
}

}  // namespace etagd::proxy
