#include "proxy/representation_encoding.h"

#include "http/encoder.h"
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

std::string representation_fields(std::string_view identity_block, std::string_view etag,
                                  http::ContentCoding coding) {
  std::string block;
  block.reserve(identity_block.size() + 32);
  size_t copied = 0;
  for_each_line(identity_block, [&](std::string_view name, std::string_view, size_t start, size_t end) {
    if (!http::iequals(name, "etag") && !http::iequals(name, "content-encoding")) return;
    block.append(identity_block.substr(copied, start - copied));
    if (http::iequals(name, "etag") && !etag.empty()) http::append_field(block, "ETag", etag);
    copied = end;
  });
  block.append(identity_block.substr(copied));
  http::append_field(block, "Content-Encoding", http::coding_name(coding));
  return block;
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
