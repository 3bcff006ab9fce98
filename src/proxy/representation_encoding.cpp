#include "proxy/representation_encoding.h"

#include <optional>

#include "http/encoder.h"
#include "http/etag.h"
#include "http/field_writer.h"
#include "http/token.h"

namespace etagd::proxy {

namespace {

bool varies_on_accept_encoding(const http::HeaderList& headers) {
  bool found = false;
  for (const http::HeaderField& f : headers) {
    if (!http::iequals(f.name, "vary")) continue;
    http::for_each_list_member(f.value, [&](std::string_view member) {
      if (http::iequals(member, "accept-encoding") || member == "*") found = true;
      return !found;
    });
  }
  return found;
}

// Calls fn(name, value, line_start, line_end) for each "Name: value\r\n" line of a block.
template <typename Fn>
void for_each_line(std::string_view block, Fn&& fn) {
  size_t pos = 0;
  while (pos < block.size()) {
    size_t eol = block.find("\r\n", pos);
    if (eol == std::string_view::npos) return;
    std::string_view line = block.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      fn(line.substr(0, colon), http::trim_ows(line.substr(colon + 1)), pos, eol + 2);
    }
    pos = eol + 2;
  }
}

}  // namespace

bool may_encode(const config::CompressPolicy& policy, const http::ResponseHead& head,
                const http::CacheControl& upstream_cc, uint64_t body_size) {
  if (!policy.enabled || head.status != 200 || body_size < policy.min_size) return false;
  if (upstream_cc.no_transform) return false;
  // Any Content-Encoding, even "identity" (which RFC 9110 §8.4.1 does not register for it):
  // what the upstream labelled is passed on as labelled.
  if (head.headers.contains("content-encoding")) return false;
  if (varies_on_accept_encoding(head.headers)) return false;
  return policy.compresses_type(head.headers.get("content-type"));
}

std::string representation_etag(std::string_view identity_etag, http::ContentCoding coding) {
  // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3); '-' and the coding names
  // are etagc.
  if (identity_etag.size() < 2 || identity_etag.back() != '"') return {};
  size_t open = identity_etag.starts_with("W/") ? 2 : 0;
  if (identity_etag.size() < open + 2 || identity_etag[open] != '"') return {};
  std::string tag(identity_etag.substr(0, identity_etag.size() - 1));
  tag += '-';
  tag += http::coding_name(coding);
  tag += '"';
  return tag;
}

namespace {

// The coding whose suffix `tag` carries among `codings`, and the length of its opaque part
// without that suffix (the closing DQUOTE excluded); nullopt when it carries none.
struct CodedTag {
  http::ContentCoding coding;
  size_t identity_size;  // of tag.opaque without "-coding" and the closing DQUOTE
};
std::optional<CodedTag> coded_tag(const http::EntityTag& tag,
                                  const std::vector<http::ContentCoding>& codings) {
  std::string_view inner = tag.opaque.substr(1, tag.opaque.size() - 2);
  for (http::ContentCoding c : codings) {
    std::string_view name = http::coding_name(c);
    if (inner.size() > name.size() + 1 && inner.ends_with(name) &&
        inner[inner.size() - name.size() - 1] == '-') {
      return CodedTag{c, inner.size() - name.size() - 1};
    }
  }
  return std::nullopt;
}

}  // namespace

std::string with_identity_etags(std::string_view list,
                                const std::vector<http::ContentCoding>& codings) {
  std::string out;
  size_t pos = 0;
  http::EntityTag tag;
  while (http::next_entity_tag(list, pos, tag)) {
    std::optional<CodedTag> coded = coded_tag(tag, codings);
    if (!coded) continue;
    if (out.empty()) out.assign(list);
    out += ", ";
    if (tag.weak) out += "W/";
    out.append(tag.opaque.substr(0, 1 + coded->identity_size));
    out += '"';
  }
  return out;
}

std::string client_etag_for_upstream_304(std::string_view if_none_match,
                                         std::string_view upstream_etag,
                                         const std::vector<http::ContentCoding>& codings,
                                         http::ContentCoding chosen) {
  http::EntityTag upstream;
  if (!http::parse_entity_tag(upstream_etag, upstream)) return {};
  std::string_view upstream_inner = upstream.opaque.substr(1, upstream.opaque.size() - 2);
  std::string best;
  size_t pos = 0;
  http::EntityTag tag;
  while (http::next_entity_tag(if_none_match, pos, tag)) {
    std::optional<CodedTag> coded = coded_tag(tag, codings);
    if (!coded || tag.opaque.substr(1, coded->identity_size) != upstream_inner) continue;
    std::string member = tag.weak ? "W/" : "";
    member.append(tag.opaque);
    if (coded->coding == chosen) return member;
    if (best.empty()) best = std::move(member);
  }
  return best;
}

std::string with_vary_accept_encoding(std::string_view identity_block) {
  bool named = false;
  for_each_line(identity_block, [&](std::string_view name, std::string_view value, size_t, size_t) {
    if (!http::iequals(name, "vary")) return;
    http::for_each_list_member(value, [&](std::string_view member) {
      if (http::iequals(member, "accept-encoding")) named = true;
      return !named;
    });
  });
  if (named) return std::string(identity_block);
  std::string block;
  block.reserve(identity_block.size() + 24);
  http::append_field(block, "Vary", "Accept-Encoding");
  block += identity_block;
  return block;
}

namespace {

// `block` with its ETag line's value replaced by `etag` (the line left out when `etag` is
// empty), and without Content-Encoding lines when `drop_content_encoding`.
std::string with_etag_line(std::string_view block, std::string_view etag, bool drop_content_encoding) {
  std::string out;
  out.reserve(block.size() + 32);
  size_t copied = 0;
  for_each_line(block, [&](std::string_view name, std::string_view, size_t start, size_t end) {
    bool is_etag = http::iequals(name, "etag");
    if (!is_etag && !(drop_content_encoding && http::iequals(name, "content-encoding"))) return;
    out.append(block.substr(copied, start - copied));
    if (is_etag && !etag.empty()) http::append_field(out, "ETag", etag);
    copied = end;
  });
  out.append(block.substr(copied));
  return out;
}

}  // namespace

std::string representation_fields(std::string_view identity_block, std::string_view etag,
                                  http::ContentCoding coding) {
  std::string block = with_etag_line(identity_block, etag, /*drop_content_encoding=*/true);
  http::append_field(block, "Content-Encoding", http::coding_name(coding));
  return block;
}

std::string replace_etag_field(std::string_view block, std::string_view etag) {
  return with_etag_line(block, etag, /*drop_content_encoding=*/false);
}

std::vector<cache::EncodedRepresentation> encode_representations(
    const config::CompressPolicy& policy, const std::vector<http::ContentCoding>& codings,
    std::string_view identity_block, std::string_view identity_etag, std::string_view body) {
  std::vector<cache::EncodedRepresentation> out;
  for (http::ContentCoding coding : codings) {
    if (out.size() == cache::CacheEntry::kMaxEncoded) break;
    cache::EncodedRepresentation r;
    r.coding = coding;
    if (!http::encode_whole(coding, policy.level(coding), body, r.body)) continue;
    if (r.body.size() >= body.size()) continue;
    r.etag = representation_etag(identity_etag, coding);
    r.header_block = representation_fields(identity_block, r.etag, coding);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<cache::EncodedRepresentation> refreshed_representations(
    const cache::CacheEntry& stale, std::string_view identity_block,
    std::string_view identity_etag) {
  std::vector<cache::EncodedRepresentation> out;
  for (size_t i = 0; i < stale.encoded_count(); ++i) {
    cache::EncodedRepresentation r;
    r.coding = stale.encoded(i).coding;
    r.etag = representation_etag(identity_etag, r.coding);
    r.header_block = representation_fields(identity_block, r.etag, r.coding);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace etagd::proxy
