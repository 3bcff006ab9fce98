#include "http/cache_control.h"

#include "http/token.h"

namespace etagd::http {

namespace {

// RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31.
constexpr int64_t kDeltaSecondsCap = int64_t{1} << 31;

// delta-seconds = 1*DIGIT, also accepted as a quoted-string ("60"), which RFC 9111 §5.2
// asks recipients to accept for robustness. nullopt for anything else.
std::optional<int64_t> parse_delta_seconds(std::string_view arg) {
  if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"') {
    arg = arg.substr(1, arg.size() - 2);
  }
  if (arg.empty()) return std::nullopt;
  int64_t n = 0;
  for (char c : arg) {
    if (c < '0' || c > '9') return std::nullopt;
    if (n < kDeltaSecondsCap) n = n * 10 + (c - '0');
  }
  return n < kDeltaSecondsCap ? n : kDeltaSecondsCap;
}

// A delta-seconds directive seen again with another value, or with an invalid value, makes the
// freshness information invalid: RFC 9111 §4.2.1 says to treat that as stale, i.e. 0.
void record_delta(std::optional<int64_t>& slot, std::optional<std::string_view> arg) {
  std::optional<int64_t> v = arg ? parse_delta_seconds(*arg) : std::nullopt;
  if (!v || (slot && *slot != *v)) {
    slot = 0;
  } else {
    slot = v;
  }
}

// The field names of a qualified no-cache or private: a quoted list ("Set-Cookie, X-Id"), or
// one token, which RFC 9111 §5.2.2.4 asks recipients to accept too. False when `arg` holds
// something that is not a field name: the directive then counts as unqualified, the safe
// reading.
bool add_field_names(std::string_view arg, std::vector<std::string_view>& out) {
  if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"') {
    arg = arg.substr(1, arg.size() - 2);
  }
  size_t before = out.size();
  bool ok = for_each_list_member(arg, [&](std::string_view name) {
    if (!is_token(name)) return false;
    out.push_back(name);
    return true;
  });
  if (!ok || out.size() == before) {
    out.resize(before);
    return false;
  }
  return true;
}

}  // namespace

// Cache-Control = #cache-directive; cache-directive = token [ "=" ( token / quoted-string ) ].
void parse_cache_control(std::string_view field_value, CacheControl& cc) {
  for_each_list_member(field_value, [&cc](std::string_view member) {
    std::string_view name = member;
    std::optional<std::string_view> arg;
    size_t eq = member.find('=');
    if (eq != std::string_view::npos) {
      name = trim_ows(member.substr(0, eq));
      arg = trim_ows(member.substr(eq + 1));
    }
    // Directives named by the RFC; unknown ones are ignored.
    if (iequals(name, "max-age")) {
      record_delta(cc.max_age, arg);
    } else if (iequals(name, "s-maxage")) {
      record_delta(cc.s_maxage, arg);
    } else if (iequals(name, "stale-while-revalidate")) {
      record_delta(cc.stale_while_revalidate, arg);
    } else if (iequals(name, "stale-if-error")) {
      record_delta(cc.stale_if_error, arg);
    } else if (iequals(name, "no-store")) {
      cc.no_store = true;
    } else if (iequals(name, "no-cache")) {
      if (!arg || !add_field_names(*arg, cc.unshared_fields)) cc.no_cache = true;
    } else if (iequals(name, "private")) {
      if (!arg || !add_field_names(*arg, cc.unshared_fields)) cc.private_ = true;
    } else if (iequals(name, "public")) {
      cc.public_ = true;
    } else if (iequals(name, "must-revalidate")) {
      cc.must_revalidate = true;
    } else if (iequals(name, "proxy-revalidate")) {
      cc.proxy_revalidate = true;
    } else if (iequals(name, "no-transform")) {
      cc.no_transform = true;
    } else if (iequals(name, "immutable")) {
      cc.immutable = true;
    } else if (iequals(name, "only-if-cached")) {
      cc.only_if_cached = true;
    }
    return true;  // unknown directives are ignored (RFC 9111 §5.2.3)
  });
}

bool shared_explicitly(const CacheControl& cc) {
  return cc.public_ || cc.s_maxage.has_value() || cc.must_revalidate;
}

std::string with_private(std::string_view value) {
  CacheControl cc;
  parse_cache_control(value, cc);
  if (cc.private_ || cc.no_store) return std::string(value);
  std::string out = "private";
  for_each_list_member(value, [&out](std::string_view member) {
    std::string_view name = trim_ows(member.substr(0, member.find('=')));
    if (iequals(name, "public") || iequals(name, "s-maxage") || iequals(name, "private")) {
      return true;
    }
    out += ", ";
    out += member;
    return true;
  });
  return out;
}

}  // namespace etagd::http
