#include "proxy/response_fields.h"

#include "http/cache_control.h"
#include "http/field_writer.h"
#include "http/hop_by_hop.h"
#include "http/token.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace etagd::proxy {

namespace {

using http::append_field;

bool is_not_modified_field(std::string_view name) {
  return http::iequals(name, "cache-control") || http::iequals(name, "content-location") ||
         http::iequals(name, "etag") || http::iequals(name, "expires") ||
         http::iequals(name, "vary");
}

// Fields etagd writes per response or never passes on. Etagd-Cache-Control is addressed to
// etagd alone (a targeted field, RFC 9213 §2): it is neither stored nor forwarded.
bool dropped(std::string_view name, const ClientFieldOptions& o) {
  return http::iequals(name, "content-length") || http::iequals(name, "date") ||
         http::iequals(name, "age") || http::iequals(name, "etagd-cache-control") || (!o.status_header.empty() && http::iequals(name, o.status_header));
}

bool removed_by_rule(std::string_view name, const config::HeaderEdits& edits) {
  for (const std::string& r : edits.remove) {
    if (http::iequals(name, r)) return true;
  }
  for (const auto& [n, v] : edits.set) {
    if (http::iequals(name, n)) return true;
  }
  return false;
}

// The directives of the upstream's Cache-Control field: what caches after etagd read (not a
// targeted field addressed to etagd).
http::CacheControl cache_control_field(const http::ResponseHead& upstream) {
  http::CacheControl cc;
  for (const http::HeaderField& f : upstream.headers) {
    if (http::iequals(f.name, "cache-control")) http::parse_cache_control(f.value, cc);
  }
  return cc;
}

// The rule's Cache-Control for this answer, unless it would allow caches after etagd more
// than the upstream does; private when the answer is one user's.
std::optional<std::string> rule_cache_control(const ClientFieldOptions& o) {
  const std::string* value = o.actions ? o.actions->cache_control.for_status(o.status) : nullptr;
  if (value == nullptr) return std::nullopt;
  if (o.upstream_allows != DownstreamSharing::Any) {
    http::CacheControl cc;
    http::parse_cache_control(*value, cc);
    bool no_wider =
        cc.no_store || (o.upstream_allows == DownstreamSharing::PrivateOnly && cc.private_);
    if (!no_wider) return std::nullopt;
  }
  return o.per_user ? http::with_private(*value) : *value;
}

// Writes the fields that belong to one of the two groups (the 304 set, or the rest).
void write_field_group(std::string& block, const http::ResponseHead& upstream,
                       const http::ConnectionOptions& connection,
                       const ClientFieldOptions& options, bool not_modified_group) {
  const config::RuleActions* actions = options.actions;
  const std::optional<std::string> cache_control = rule_cache_control(options);
  const config::HeaderEdits* edits = actions ? &actions->headers : nullptr;

  if (not_modified_group) {
    if (cache_control && !(edits && removed_by_rule("cache-control", *edits))) {
      append_field(block, "Cache-Control", *cache_control);
    }
    if (!options.etag.empty()) append_field(block, "ETag", options.etag);
  }
  for (const http::HeaderField& f : upstream.headers) {
    if (is_not_modified_field(f.name) != not_modified_group) continue;
    if (dropped(f.name, options)) continue;
    if (connection.is_specific(f.name)) continue;
    if (cache_control && http::iequals(f.name, "cache-control")) continue;
    if (!options.etag.empty() && http::iequals(f.name, "etag")) continue;
    if (edits && removed_by_rule(f.name, *edits)) continue;
    append_field(block, f.name, f.value);
  }
  if (!edits) return;
  for (const auto& [n, v] : edits->set) {
    if (is_not_modified_field(n) == not_modified_group) append_field(block, n, v);
  }
  for (const auto& [n, v] : edits->add) {
    if (is_not_modified_field(n) == not_modified_group) append_field(block, n, v);
  }
}

// A field of the 304 that may replace the stored one (see merge_not_modified_fields).
bool updatable_by_304(std::string_view name, const http::ConnectionOptions& connection,
                      const ClientFieldOptions& o) {
  if (dropped(name, o) || http::iequals(name, "via") || http::iequals(name, "etag") ||
      http::iequals(name, "transfer-encoding")) {
    return false;
  }
  if (connection.is_specific(name)) return false;
  const config::RuleActions* a = o.actions;
  if (a == nullptr) return true;
  if (http::iequals(name, "cache-control") && a->cache_control.for_status(o.status)) return false;
  if (removed_by_rule(name, a->headers)) return false;
  for (const auto& [n, v] : a->headers.add) {
    if (http::iequals(name, n)) return false;
  }
  return true;
}

}  // namespace

DownstreamSharing upstream_sharing(const http::ResponseHead& upstream, bool stored_by_override,
                                   bool with_set_cookie) {
  http::CacheControl cc = cache_control_field(upstream);
  if (!stored_by_override) {
    if (cc.no_store) return DownstreamSharing::None;
    if (cc.private_) return DownstreamSharing::PrivateOnly;
  }
  if (with_set_cookie && upstream.headers.contains("set-cookie")) {
    return DownstreamSharing::PrivateOnly;
  }
  return DownstreamSharing::Any;
}

std::string cache_control_lines(const http::ResponseHead& upstream,
                                const ClientFieldOptions& options) {
  // The group write_client_fields() writes Cache-Control in, so that the rule's value, its
  // header edits and the upstream's own lines are chosen by the same code.
  std::string group;
  write_field_group(group, upstream, http::ConnectionOptions(upstream.headers), options, true);
  std::string lines;
  take_fields(group, {"cache-control"}, lines);
  return lines;
}

bool answer_is_per_user(const http::ResponseHead& upstream, bool request_carries_credentials) {
  return request_carries_credentials && !http::shared_explicitly(cache_control_field(upstream));
}

size_t merge_not_modified_fields(std::string& merged, std::string_view stored,
                                 const http::ResponseHead& not_modified,
                                 const ClientFieldOptions& options) {
  // The stored lines that survive, then the 304's replacements; grouped as the 304 set first.
  const http::ConnectionOptions connection(not_modified.headers);
  std::vector<http::HeaderField> fields;
  size_t pos = 0;
  while (pos < stored.size()) {
    size_t eol = stored.find("\r\n", pos);
    if (eol == std::string_view::npos) break;
    std::string_view line = stored.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    if (http::iequals(name, "etag")) continue;
    if (updatable_by_304(name, connection, options) && not_modified.headers.contains(name)) {
      continue;
    }
    fields.push_back({name, http::trim_ows(line.substr(colon + 1))});
  }
  for (const http::HeaderField& f : not_modified.headers) {
    if (updatable_by_304(f.name, connection, options)) fields.push_back(f);
  }
  size_t start = merged.size();
  if (!options.etag.empty()) append_field(merged, "ETag", options.etag);
  for (bool first_group : {true, false}) {
    for (const http::HeaderField& f : fields) {
      if (is_not_modified_field(f.name) == first_group) append_field(merged, f.name, f.value);
    }
    if (first_group) start = merged.size() - start;
  }
  return start;
}

void take_fields(std::string& block, const std::vector<std::string_view>& names,
                 std::string& taken) {
  if (names.empty()) return;
  std::string kept;
  size_t pos = 0;
  while (pos < block.size()) {
    size_t eol = block.find("\r\n", pos);
    size_t next = eol == std::string::npos ? block.size() : eol + 2;
    std::string_view line(block.data() + pos, next - pos);
    std::string_view name = line.substr(0, line.find(':'));
    bool named = std::any_of(names.begin(), names.end(),
                             [&](std::string_view n) { return http::iequals(name, n); });
    (named ? taken : kept).append(line);
    pos = next;
  }
  block = std::move(kept);
}

size_t write_client_fields(std::string& block, const http::ResponseHead& upstream,
                           const ClientFieldOptions& options) {
  const http::ConnectionOptions connection(upstream.headers);
  // Room for every upstream line, a rewritten Cache-Control and Via: one allocation, not one
  // for each doubling of the block.
  size_t room = 64;
  for (const http::HeaderField& f : upstream.headers) room += f.name.size() + f.value.size() + 4;
  block.reserve(block.size() + room);
  size_t start = block.size();
  write_field_group(block, upstream, connection, options, true);
  size_t prefix = block.size() - start;
  write_field_group(block, upstream, connection, options, false);
  // RFC 9110 §7.6.3: a proxy adds itself to Via in responses too.
  append_field(block, "Via", "1.1 etagd");
  return prefix;
}

}  // namespace etagd::proxy
