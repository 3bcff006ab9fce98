#include "http/etag.h"

#include "http/token.h"

namespace etagd::http {

namespace {

// etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3): any visible byte but DQUOTE.
// Backslash is an ordinary etagc here, not an escape, and a comma may sit inside a tag, so
// If-None-Match lists cannot be split with the quoted-string rules of for_each_list_member.
bool is_etagc(unsigned char c) { return c == 0x21 || (c >= 0x23 && c != 0x7f); }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// Reads an entity-tag at the start of `s`: [ W/ ] DQUOTE *etagc DQUOTE. Returns the number of
// bytes it spans, or 0 if `s` does not start with one.
size_t read_entity_tag(std::string_view s, EntityTag& out) {
  size_t i = 0;
  bool weak = false;
  if (s.size() >= 2 && s[0] == 'W' && s[1] == '/') {  // weak = %s"W/": case-sensitive
    weak = true;
    i = 2;
  }
  if (i >= s.size() || s[i] != '"') return 0;
  size_t open = i++;
  while (i < s.size() && is_etagc(static_cast<unsigned char>(s[i]))) ++i;
  if (i >= s.size() || s[i] != '"') return 0;
  ++i;
  out.weak = weak;
  out.opaque = s.substr(open, i - open);
  return i;
}

}  // namespace

bool parse_entity_tag(std::string_view text, EntityTag& out) {
  std::string_view t = trim_ows(text);
  EntityTag tag;
  size_t n = read_entity_tag(t, tag);
  if (n == 0 || n != t.size()) return false;
  out = tag;
  return true;
}

bool strong_match(const EntityTag& a, const EntityTag& b) {
  return !a.weak && !b.weak && a.opaque == b.opaque;
}

bool weak_match(const EntityTag& a, const EntityTag& b) { return a.opaque == b.opaque; }

bool next_entity_tag(std::string_view list, size_t& pos, EntityTag& out) {
  size_t i = pos;
  while (i < list.size()) {
    // Between members: OWS and empty list elements ("a, , b" and ", a" are allowed, §5.6.1).
    if (is_ows(list[i]) || list[i] == ',') {
      ++i;
      continue;
    }
    EntityTag tag;
    size_t n = read_entity_tag(list.substr(i), tag);
    size_t end = i + n;
    while (end < list.size() && is_ows(list[end])) ++end;
    if (n != 0 && (end == list.size() || list[end] == ',')) {
      out = tag;
      pos = end;
      return true;
    }
    // An invalid member ("*" inside a list, an unquoted tag, junk after a tag) is skipped up
    // to the next comma; the members around it still count.
    size_t comma = list.find(',', i);
    if (comma == std::string_view::npos) break;
    i = comma + 1;
  }
  pos = list.size();
  return false;
}

// If-None-Match = "*" / #entity-tag (RFC 9110 §13.1.2). The comparison is weak: a client
// that got a weak tag still revalidates with it, and a 304 only says "what you hold is fine".
bool if_none_match_matches(std::string_view field_value, std::string_view current_etag) {
  std::string_view value = trim_ows(field_value);
  if (value == "*") return true;

  EntityTag current;
  if (!parse_entity_tag(current_etag, current)) return false;

  size_t pos = 0;
  EntityTag tag;
  while (next_entity_tag(value, pos, tag)) {
    if (weak_match(tag, current)) return true;
  }
  return false;
}

}  // namespace etagd::http
