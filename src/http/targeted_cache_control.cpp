#include "http/targeted_cache_control.h"

#include "http/structured_dictionary.h"

#include <vector>

namespace etagd::http {

namespace {

// RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31.
constexpr int64_t kDeltaSecondsCap = int64_t{1} << 31;

void read_delta(const DictionaryMember& m, std::optional<int64_t>& slot) {
  if (m.type != DictionaryMember::Type::Integer || m.integer < 0) return;
  slot = m.integer < kDeltaSecondsCap ? m.integer : kDeltaSecondsCap;
}

// A valueless directive is the Boolean true; `no-cache="field"` and `private="field"` are the
// qualified forms, which CacheControl records as the whole directive.
bool directive_set(const DictionaryMember& m, bool string_allowed) {
  if (m.type == DictionaryMember::Type::Boolean) return m.boolean;
  return string_allowed && m.type == DictionaryMember::Type::String;
}

}  // namespace

bool parse_targeted_cache_control(std::string_view field_value, CacheControl& cc) {
  std::vector<DictionaryMember> members;
  if (!parse_structured_dictionary(field_value, members) || members.empty()) return false;
  CacheControl t;
  t.targeted = true;
  for (const DictionaryMember& m : members) {
    std::string_view k = m.key;  // keys are lowercase by the Dictionary grammar
    if (k == "max-age") {
      read_delta(m, t.max_age);
    } else if (k == "s-maxage") {
      read_delta(m, t.s_maxage);
    } else if (k == "stale-while-revalidate") {
      read_delta(m, t.stale_while_revalidate);
    } else if (k == "stale-if-error") {
      read_delta(m, t.stale_if_error);
    } else if (k == "no-store") {
      t.no_store = directive_set(m, false);
    } else if (k == "no-cache") {
      t.no_cache = directive_set(m, true);
    } else if (k == "private") {
      t.private_ = directive_set(m, true);
    } else if (k == "public") {
      t.public_ = directive_set(m, false);
    } else if (k == "must-revalidate") {
      t.must_revalidate = directive_set(m, false);
    } else if (k == "proxy-revalidate") {
      t.proxy_revalidate = directive_set(m, false);
    } else if (k == "no-transform") {
      t.no_transform = directive_set(m, false);
    } else if (k == "immutable") {
      t.immutable = directive_set(m, false);
    }
  }
  cc = t;
  return true;
}

}  // namespace etagd::http
