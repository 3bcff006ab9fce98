// Entity tags and the If-None-Match precondition (RFC 9110 §8.8.3, §13.1.2).
#pragma once

#include <cstddef>
#include <string_view>

namespace etagd::http {

struct EntityTag {
  bool weak = false;
  std::string_view opaque;  // including the surrounding DQUOTEs
};

// Parses one entity-tag ("xyz" or W/"xyz"); the whole input (after OWS trim) must be the tag.
// Returns false on syntax errors (missing quotes, a DQUOTE or control byte inside).
bool parse_entity_tag(std::string_view text, EntityTag& out);

// RFC 9110 §8.8.3.2.
bool strong_match(const EntityTag& a, const EntityTag& b);  // both strong, same opaque
bool weak_match(const EntityTag& a, const EntityTag& b);    // same opaque, W/ ignored

// Reads the next valid entity-tag of an If-None-Match / If-Match list from `pos` on and
// advances `pos` past it; false at the end of the list. Invalid members are skipped, so a
// list's good tags count however the bad ones look. `out.opaque` points into `list`.
bool next_entity_tag(std::string_view list, size_t& pos, EntityTag& out);

// Evaluates an If-None-Match field value against the current representation's ETag
// (RFC 9110 §13.1.2): true when the value is "*" (and a representation exists) or any listed
// tag weakly matches `current_etag`. That is the case where a GET/HEAD is answered 304.
// A syntactically invalid member is skipped; an invalid or empty field never matches.
// Callers with several If-None-Match lines call this for each (they form one list).
bool if_none_match_matches(std::string_view field_value, std::string_view current_etag);

}  // namespace etagd::http
