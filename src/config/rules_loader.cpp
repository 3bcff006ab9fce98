#include "config/rules_loader.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "config/concat.h"
#include "config/host_port.h"
#include "config/setting.h"
#include "http/encoder.h"
#include "http/hop_by_hop.h"
#include "http/method.h"
#include "http/token.h"

namespace etagd::config {

namespace {

// The actions that decide whether responses stored for one user can reach another.
constexpr std::array<std::string_view, 6> kSharingKeys = {
    "cache", "ttl", "key_headers", "key_cookies", "cache_control",
    "ignore_upstream_cache_control"};

// Methods a rule may name: every one etagd parses (http/method.h), Other excepted.
constexpr std::array<http::Method, http::kMethodCount - 1> kNamedMethods = {
    http::Method::Get,     http::Method::Head,  http::Method::Post,
    http::Method::Put,     http::Method::Patch, http::Method::Delete,
    http::Method::Options, http::Method::Trace, http::Method::Connect};

// A field value may hold visible characters, spaces and tabs, nothing else (RFC 9110 §5.5);
// a CR or LF here would let a config file split a response.
bool has_control_chars(std::string_view v) {
  return std::any_of(v.begin(), v.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

// What is wrong with a Cache-Control value, or "" if it is a well-formed directive list
// (RFC 9111 §5.2: token [ "=" ( token / quoted-string ) ]).
std::string cache_control_problem(std::string_view value) {
  if (has_control_chars(value)) return "the value contains control characters";
  if (http::trim_ows(value).empty()) {
    return "the value is empty; leave cache_control out to keep the upstream's header, or "
           "remove it with headers.remove";
  }
  std::string problem;
  http::for_each_list_member(value, [&](std::string_view member) {
    size_t eq = member.find('=');
    std::string_view name = http::trim_ows(member.substr(0, eq));
    if (!http::is_token(name)) {
      problem = concat("'", member, "' is not a directive (name or name=value)");
      return false;
    }
    if (eq == std::string_view::npos) return true;
    std::string_view arg = http::trim_ows(member.substr(eq + 1));
    bool quoted = arg.size() >= 2 && arg.front() == '"' && arg.back() == '"';
    if (!quoted && !http::is_token(arg)) {
      problem = concat("directive '", name, "' has a malformed value");
      return false;
    }
    return true;
  });
  return problem;
}

// Fields etagd writes itself, or that another action owns: a `set`/`add` of these would
// produce two conflicting lines.
std::string reserved_field_problem(std::string_view name) {
  if (http::is_hop_by_hop(name)) {
    return concat("'", name,
                  "' is hop-by-hop (RFC 9110 §7.6.1): it describes one connection and etagd "
                  "manages it");
  }
  if (http::iequals(name, "content-length")) return "Content-Length is set by etagd from the body";
  if (http::iequals(name, "date") || http::iequals(name, "age")) {
    return concat("'", name, "' is written by etagd on every response");
  }
  if (http::iequals(name, "cache-control")) return "use the cache_control action instead";
  if (http::iequals(name, "etag")) return "use the etag action (preserve | generate) instead";
  return "";
}

class RulesLoader {
 public:
  explicit RulesLoader(YamlReader& r) : r_(r) {}

  // Applies the action keys present in `s` over `actions`.
  void read_actions(const YamlReader::Section& s, RuleActions& actions);
  // Warns when `a` stores responses for a fixed time and keys on no credential. `at` is the
  // rule (or `defaults`) the actions belong to.
  void warn_if_shared_between_users(const Field& at, const YamlReader::Section& s,
                                    const RuleActions& a);
  // Warns about storage settings `s` gives that its (merged) mode never uses.
  void warn_storage_without_effect(const YamlReader::Section& s, const RuleActions& a);
  // False if the match had an error (the rule is then left out of shadow analysis).
  bool read_match(const Field& rule_field, const YamlReader::Section& s, RuleMatch& match);

  // The readers of the action rows with structure.
  void read_cache_control(const Field& f, CacheControlRewrite& out);
  void read_ttl(const Field& f, Ttl& out);
  void read_cache_key(const Field& f, CacheKeyActions& out);
  void read_invalidate(const Field& f, std::vector<InvalidateTarget>& out);
  void read_headers(const Field& f, HeaderEdits& edits);
  void read_compress(const Field& f, CompressPolicy& policy);
  std::optional<std::string> read_field_name(const Field& f);
  std::optional<std::string> read_path(const Field& f);
  std::optional<std::chrono::seconds> whole_seconds(const Field& f);
  std::vector<std::string> read_key_headers(const Field& f);
  std::vector<std::string> read_key_cookies(const Field& f);

 private:
  YamlReader& r_;
};

std::optional<std::chrono::seconds> RulesLoader::whole_seconds(const Field& f) {
  std::optional<Duration> d = r_.duration(f);
  if (!d) return std::nullopt;
  if (d->count() % 1000 != 0) {
    r_.error(f, "counted in whole seconds (HTTP freshness has no finer unit, RFC 9111 §1.2.2)");
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

namespace {

// "origin" or a whole number of seconds; `nullopt` after an error.
std::optional<TtlValue> read_ttl_value(RulesLoader& loader, const Field& f) {
  if (f.node.IsScalar() && f.node.Scalar() == "origin") return TtlValue{};
  std::optional<std::chrono::seconds> secs = loader.whole_seconds(f);
  if (!secs) return std::nullopt;
  return TtlValue{false, *secs};
}

// The status code a `ttl` key names ("404"), or 0 when the key is not three digits.
int status_code_key(std::string_view key) {
  if (key.size() != 3) return 0;
  int code = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return 0;
    code = code * 10 + (c - '0');
  }
  return code;
}

}  // namespace

void RulesLoader::read_ttl(const Field& f, Ttl& out) {
  if (!f.node.IsMap()) {
    if (std::optional<TtlValue> v = read_ttl_value(*this, f)) out = Ttl{*v, {}, {}};
    return;
  }
  Ttl ttl;
  YamlReader::Section s = r_.open_map(f, /*fold_case=*/true);
  for (const Field& entry : s.entries()) {
    std::string key = entry.key;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::optional<TtlValue> value = read_ttl_value(*this, entry);
    if (key == "other") {
      if (value) static_cast<TtlValue&>(ttl) = *value;
    } else if (key == "2xx" || key == "3xx" || key == "4xx") {
      if (value) ttl.classes[static_cast<size_t>(key[0] - '0')] = *value;
    } else if (key == "5xx" || key[0] == '5') {
      r_.error(entry.key_mark, entry.path,
               "server errors are never stored: a 5xx describes a moment of the origin, and "
               "stale_if_error needs the good response it would replace");
    } else if (int code = status_code_key(key); code >= 200 && code < 500 && code != 206 &&
                                               code != 304) {
      if (value) ttl.codes.emplace_back(code, *value);
    } else if (code == 206 || code == 304) {
      r_.error(entry.key_mark, entry.path,
               code == 206 ? "a 206 is part of a 200: the parts that range: forward stores take "
                             "the ttl of 200"
                           : "a 304 updates a stored response and is not one itself (RFC 9111 "
                             "§4.3.4)");
    } else {
      r_.error(entry.key_mark, entry.path,
               concat("'", entry.key, "' is not a status: expected 2xx, 3xx, 4xx, a code from "
                                      "200 to 499 (404), or other"));
    }
  }
  out = std::move(ttl);
}

void RulesLoader::read_cache_key(const Field& f, CacheKeyActions& out) {
  YamlReader::Section s = r_.section(f, {"query"});
  if (!s.is_map()) return;
  CacheKeyActions key;
  if (const Field* qf = s.find("query")) {
    YamlReader::Section q = r_.section(*qf, {"sort", "ignore", "keep", "forward"});
    if (!q.is_map()) return;
    if (const Field* v = q.find("sort")) {
      if (std::optional<bool> on = r_.on_off(*v)) key.query.sort = *on;
    }
    for (auto [name, list] : {std::pair{"ignore", &key.query.ignore},
                              std::pair{"keep", &key.query.keep}}) {
      const Field* lf = q.find(name);
      if (lf == nullptr) continue;
      auto items = r_.list(*lf);
      if (!items) continue;
      for (const Field& item : *items) {
        std::optional<std::string> pattern = r_.string(item);
        if (!pattern) continue;
        if (pattern->empty() || has_control_chars(*pattern)) {
          r_.error(item, "a parameter name or pattern (utm_*) is expected");
          continue;
        }
        list->push_back(std::move(*pattern));
      }
    }
    if (!key.query.ignore.empty() && !key.query.keep.empty()) {
      r_.error(*q.find("keep"),
               "give either keep (the only parameters that count) or ignore (parameters that "
               "do not), not both");
    }
    if (const Field* v = q.find("forward")) {
      if (auto how = r_.choice<bool>(*v, {{"as_sent", false}, {"normalised", true}})) {
        key.forward_normalised = *how;
      }
    }
  }
  out = std::move(key);
}

std::optional<std::string> RulesLoader::read_field_name(const Field& f) {
  std::optional<std::string> name = r_.string(f);
  if (!name) return std::nullopt;
  if (!http::is_token(*name)) {
    r_.error(f, concat("'", *name, "' is not a valid header field name (RFC 9110 §5.1)"));
    return std::nullopt;
  }
  return name;
}

std::vector<std::string> RulesLoader::read_key_headers(const Field& f) {
  std::vector<std::string> names;
  auto items = r_.list(f);
  if (!items) return names;
  for (const Field& item : *items) {
    auto name = read_field_name(item);
    if (!name) continue;
    std::string lower = http::lowercase(*name);
    if (std::find(names.begin(), names.end(), lower) == names.end()) names.push_back(lower);
  }
  return names;
}

std::vector<std::string> RulesLoader::read_key_cookies(const Field& f) {
  std::vector<std::string> names;
  auto items = r_.list(f);
  if (!items) return names;
  for (const Field& item : *items) {
    std::optional<std::string> name = r_.string(item);
    if (!name) continue;
    // cookie-name is a token (RFC 6265 §4.1.1) and compares case-sensitively: "SID" and
    // "sid" are two cookies, so the name is kept as written.
    if (!http::is_token(*name)) {
      r_.error(item, concat("'", *name,
                            "' is not a valid cookie name (RFC 6265 §4.1.1: a token, without "
                            "spaces, '=', ';', ',' or quotes)"));
      continue;
    }
    if (std::find(names.begin(), names.end(), *name) == names.end()) names.push_back(*name);
  }
  return names;
}

void RulesLoader::read_actions(const YamlReader::Section& s, RuleActions& a) {
  for (const Setting<RuleActions>& row : rule_action_settings()) {
    if (const Field* f = s.find(row.name)) row.read(r_, *f, a);
  }
  // Checked on the merged actions: the ttl may come from `defaults`.
  if (a.ignore_upstream_cache_control && a.ttl.any_from_origin() &&
      !r_.any_failed(s, {"ttl", "ignore_upstream_cache_control"})) {
    const Field* at = s.find("ignore_upstream_cache_control");
    if (at == nullptr) at = s.find("ttl");
    if (at != nullptr) {
      r_.error(*at, "ignore_upstream_cache_control needs a fixed ttl (e.g. ttl: 60s, or one "
                    "for every status including other): with ttl: origin the upstream's "
                    "Cache-Control is what decides");
    }
  }
}

void RulesLoader::warn_storage_without_effect(const YamlReader::Section& s,
                                              const RuleActions& a) {
  if (a.cache == CacheMode::Store) return;
  std::string_view mode = a.cache == CacheMode::Validate ? "validate" : "bypass";
  for (std::string_view key :
       {"ttl", "cache_key", "stale_if_error", "stale_while_revalidate",
        "ignore_upstream_cache_control"}) {
    const Field* f = s.find(key);
    if (f == nullptr) continue;
    r_.warning(f->key_mark, f->path,
               concat("has no effect: cache: ", mode, " stores nothing, so '", key,
                      "' never applies; remove it, or use cache: store to keep responses"));
  }
}

bool says_public(const CacheControlRewrite& cc) {
  const std::string* value = cc.for_status(200);
  if (value == nullptr) return false;
  bool found = false;
  http::for_each_list_member(*value, [&](std::string_view member) {
    found = http::iequals(http::trim_ows(member.substr(0, member.find('='))), "public");
    return !found;
  });
  return found;
}

void RulesLoader::warn_if_shared_between_users(const Field& at, const YamlReader::Section& s,
                                               const RuleActions& a) {
  // A 200 is what carries one user's data to another.
  TtlValue ttl = a.ttl.for_status(200);
  if (a.cache != CacheMode::Store || ttl.from_origin) return;
  auto keyed_on = [&](std::string_view header) {
    return std::find(a.key_headers.begin(), a.key_headers.end(), header) != a.key_headers.end();
  };
  if (keyed_on("authorization") || keyed_on("cookie") || !a.key_cookies.empty()) return;
  // `public` sent to clients is the operator saying these responses are the same for everyone
  // (RFC 9111 §5.2.2.9).
  if (says_public(a.cache_control)) return;

  const Field* where = s.find("ttl");
  if (where == nullptr) where = s.find("ignore_upstream_cache_control");
  if (where == nullptr) where = &at;
  std::string what =
      a.ignore_upstream_cache_control
          ? concat("stores responses for a fixed ttl (", std::to_string(ttl.value.count()),
                   "s) with ignore_upstream_cache_control, so even the upstream's private and "
                   "no-store responses are kept")
          : concat("stores responses for a fixed ttl (", std::to_string(ttl.value.count()),
                   "s), which overrides the upstream's Cache-Control");
  r_.warning(*where,
             concat("responses for different users would be shared: this rule ", what,
                    ", and its cache key includes neither Authorization nor Cookie. If responses "
                    "depend on who asks, key on the credential (key_headers: [Authorization], or "
                    "key_cookies: [the session cookie's name]); if they are the same for "
                    "everyone, say so with cache_control: { 2xx: \"public, ...\" }"));
}

void RulesLoader::read_compress(const Field& f, CompressPolicy& policy) {
  if (YamlReader::is_off(f)) {
    policy.enabled = false;
    return;
  }
  if (YamlReader::is_on(f)) {
    policy.enabled = true;
    return;
  }
  YamlReader::Section s = r_.section(f, {"encodings", "types", "min_size", "level"});
  if (!s.is_map()) return;
  policy.enabled = true;
  if (const Field* ef = s.find("encodings")) {
    if (auto items = r_.list(*ef)) {
      std::vector<http::ContentCoding> codings;
      for (const Field& item : *items) {
        std::optional<std::string> name = r_.string(item);
        if (!name) continue;
        std::optional<http::ContentCoding> coding = http::parse_coding_name(*name);
        if (!coding || !http::can_encode(*coding)) {
          r_.error(item, concat("'", *name, "' is not a coding etagd produces; write br, zstd "
                                            "or gzip"));
        } else if (std::find(codings.begin(), codings.end(), *coding) != codings.end()) {
          r_.error(item, concat("'", *name, "' is listed twice"));
        } else {
          codings.push_back(*coding);
        }
      }
      if (items->empty()) {
        r_.error(*ef, "no encodings: write `compress: off` to compress nothing");
      } else if (codings.size() == items->size()) {
        policy.encodings = std::move(codings);
      }
    }
  }
  if (const Field* tf = s.find("types")) {
    if (auto items = r_.list(*tf)) {
      std::vector<std::string> types;
      for (const Field& item : *items) {
        std::optional<std::string> type = r_.string(item);
        if (!type) continue;
        std::string media = media_type_of(*type);
        if (media.empty() || media != http::lowercase(http::trim_ows(*type))) {
          r_.error(item, concat("'", *type, "' is not a media type; write type/subtype, or "
                                            "type/* for every subtype (text/*)"));
        } else if (media.starts_with("*/")) {
          r_.error(item, concat("'", *type, "': only the subtype may be *"));
        } else {
          types.push_back(std::move(media));
        }
      }
      if (types.size() == items->size()) policy.types = std::move(types);
    }
  }
  if (const Field* mf = s.find("min_size")) {
    if (auto n = r_.size(*mf)) policy.min_size = *n;
  }
  if (const Field* lf = s.find("level")) {
    YamlReader::Section ls = r_.section(*lf, {"br", "zstd", "gzip"});
    for (auto [key, coding, slot] :
         {std::tuple{"br", http::ContentCoding::Br, &policy.level_br},
          std::tuple{"zstd", http::ContentCoding::Zstd, &policy.level_zstd},
          std::tuple{"gzip", http::ContentCoding::Gzip, &policy.level_gzip}}) {
      const Field* v = ls.is_map() ? ls.find(key) : nullptr;
      if (v == nullptr) continue;
      http::LevelRange range = http::level_range(coding);
      auto level = r_.integer(*v, static_cast<uint64_t>(range.min), static_cast<uint64_t>(range.max));
      if (level) *slot = static_cast<int>(*level);
    }
  }
}

void RulesLoader::read_cache_control(const Field& f, CacheControlRewrite& out) {
  auto read_value = [&](const Field& v, std::optional<std::string>& slot) {
    std::optional<std::string> s = r_.string(v);
    if (!s) return;
    std::string problem = cache_control_problem(*s);
    if (!problem.empty()) {
      r_.error(v, std::move(problem));
      return;
    }
    slot = std::string(http::trim_ows(*s));
  };
  if (f.node.IsScalar()) {
    read_value(f, out.other);  // one value for every status class
    return;
  }
  YamlReader::Section s = r_.section(f, {"2xx", "3xx", "4xx", "5xx", "other"});
  if (!s.is_map()) return;
  if (const Field* v = s.find("2xx")) read_value(*v, out.status_2xx);
  if (const Field* v = s.find("3xx")) read_value(*v, out.status_3xx);
  if (const Field* v = s.find("4xx")) read_value(*v, out.status_4xx);
  if (const Field* v = s.find("5xx")) read_value(*v, out.status_5xx);
  if (const Field* v = s.find("other")) read_value(*v, out.other);
}

void RulesLoader::read_invalidate(const Field& f, std::vector<InvalidateTarget>& out) {
  auto items = r_.list(f);
  if (!items) return;
  for (const Field& item : *items) {
    std::optional<std::string> s = r_.string(item);
    if (!s) continue;
    if (*s == "$path") {
      out.push_back({InvalidateTarget::Kind::Path, ""});
    } else if (*s == "$parent") {
      out.push_back({InvalidateTarget::Kind::Parent, ""});
    } else if (!s->empty() && s->front() == '$') {
      r_.error(item, YamlReader::unknown_word_message(*s, {"$path", "$parent"}));
    } else if (auto path = read_path(item)) {
      out.push_back({InvalidateTarget::Kind::Literal, *path});
    }
  }
}

void RulesLoader::read_headers(const Field& f, HeaderEdits& edits) {
  YamlReader::Section s = r_.section(f, {"remove", "set", "add"});
  if (!s.is_map()) return;

  HeaderEdits own;
  if (const Field* rf = s.find("remove")) {
    if (auto items = r_.list(*rf)) {
      for (const Field& item : *items) {
        if (auto name = read_field_name(item)) own.remove.push_back(*name);
      }
    }
  }
  for (std::string_view which : {"set", "add"}) {
    const Field* mf = s.find(which);
    if (mf == nullptr) continue;
    YamlReader::Section fields = r_.open_map(*mf, /*fold_case=*/true);
    for (const Field& entry : fields.entries()) {
      const std::string& name = entry.key;
      if (!http::is_token(name)) {
        r_.error(entry.key_mark, entry.path,
                 concat("'", name, "' is not a valid header field name (RFC 9110 §5.1)"));
        continue;
      }
      if (std::string problem = reserved_field_problem(name); !problem.empty()) {
        r_.error(entry.key_mark, entry.path, std::move(problem));
        continue;
      }
      std::optional<std::string> value = r_.string(entry);
      if (!value) continue;
      if (has_control_chars(*value)) {
        r_.error(entry, "the value contains control characters");
        continue;
      }
      (which == "set" ? own.set : own.add).emplace_back(name, *value);
    }
  }

  // Edits accumulate over the inherited ones (a global "remove Server" must not vanish because
  // a rule adds one header); a name the rule mentions at all drops the inherited entries for it.
  auto mentioned = [&](std::string_view name) {
    auto same = [&](const auto& e) { return http::iequals(e.first, name); };
    return std::any_of(own.remove.begin(), own.remove.end(),
                       [&](const std::string& n) { return http::iequals(n, name); }) ||
           std::any_of(own.set.begin(), own.set.end(), same) ||
           std::any_of(own.add.begin(), own.add.end(), same);
  };
  std::erase_if(edits.remove, [&](const std::string& n) { return mentioned(n); });
  std::erase_if(edits.set, [&](const auto& e) { return mentioned(e.first); });
  std::erase_if(edits.add, [&](const auto& e) { return mentioned(e.first); });
  edits.remove.insert(edits.remove.end(), own.remove.begin(), own.remove.end());
  edits.set.insert(edits.set.end(), own.set.begin(), own.set.end());
  edits.add.insert(edits.add.end(), own.add.begin(), own.add.end());
}

// Braces in a match path. A glob has only `*` and `**`: `{css,js}` alternatives or an `{id}`
// template would be matched literally and silently match nothing, so they are refused with
// the rule(s) to write instead. In `path`/`prefix`, where everything is literal, an `{id}`
// (OpenAPI's path template) is most likely meant as a wildcard: a warning says how.
std::string brace_problem(std::string_view path, PathMatchKind kind) {
  size_t open = path.find_first_of("{[");
  if (open == std::string_view::npos) {
    size_t close = path.find_first_of("}]");
    if (close == std::string_view::npos || kind != PathMatchKind::Glob) return "";
    return concat("'", path.substr(close, 1), "' without an opening bracket; etagd globs have "
                  "only * and **");
  }
  if (path[open] == '[') {
    if (kind != PathMatchKind::Glob) return "";
    return "etagd globs have no [...] character classes, only * (within a segment) and ** "
           "(across segments); the brackets would be matched literally";
  }
  size_t close = path.find('}', open);
  if (close == std::string_view::npos) {
    return kind == PathMatchKind::Glob ? "'{' without a closing '}'; etagd globs have only * "
                                         "and **"
                                       : "";
  }
  std::string_view inside = path.substr(open + 1, close - open - 1);
  std::string head(path.substr(0, open));
  std::string tail(path.substr(close + 1));
  if (inside.find(',') != std::string_view::npos) {
    if (kind != PathMatchKind::Glob) return "";
    std::string rules;
    size_t start = 0;
    while (start <= inside.size()) {
      size_t comma = inside.find(',', start);
      std::string_view alt =
          inside.substr(start, comma == std::string_view::npos ? comma : comma - start);
      rules += concat(rules.empty() ? "" : ", ", "glob: ", head, alt, tail);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return concat("etagd globs have no {a,b} alternatives (only * and **), and the braces would "
                  "be matched literally; write one rule per alternative: ",
                  rules);
  }
  std::string wildcard = concat(head, "*", tail);
  if (kind == PathMatchKind::Glob) {
    return concat("'{", inside, "}' would be matched literally: etagd globs have no path "
                  "templates; write glob: ", wildcard, " for any one segment");
  }
  return concat("'{", inside, "}' is matched literally here; for any value in that segment "
                "write glob: ", wildcard);
}

std::optional<std::string> RulesLoader::read_path(const Field& f) {
  std::optional<std::string> s = r_.string(f);
  if (!s) return std::nullopt;
  if (s->empty() || s->front() != '/') {
    r_.error(f, concat("'", *s, "' must start with '/'"));
    return std::nullopt;
  }
  if (s->find_first_of("?#") != std::string::npos) {
    r_.error(f, "paths are matched without the query string; remove what follows '?'");
    return std::nullopt;
  }
  if (has_control_chars(*s) || s->find(' ') != std::string::npos) {
    r_.error(f, "a path cannot contain spaces or control characters (RFC 3986 §3.3)");
    return std::nullopt;
  }
  return s;
}

bool RulesLoader::read_match(const Field& rule_field, const YamlReader::Section& s, RuleMatch& m) {
  const Field* mf = s.find("match");
  static constexpr std::string_view kHowToMatchAll =
      "; to apply a rule to every request write `match: { prefix: / }`";
  if (mf == nullptr) {
    r_.error(rule_field.mark, rule_field.path, concat("a rule needs a `match`", kHowToMatchAll));
    return false;
  }
  if (mf->node.IsNull() || (mf->node.IsMap() && mf->node.size() == 0)) {
    r_.error(*mf, concat("empty match", kHowToMatchAll));
    return false;
  }
  std::vector<std::string_view> match_names;
  for (const KeyDoc& k : match_keys()) match_names.push_back(k.name);
  YamlReader::Section ms = r_.section(*mf, match_names);
  if (!ms.is_map()) return false;
  bool ok = true;
  auto fail = [&](const Field& f, std::string message) {
    r_.error(f, std::move(message));
    ok = false;
  };

  if (const Field* f = ms.find("methods")) {
    if (auto items = r_.list(*f)) {
      if (items->empty()) {
        fail(*f, "an empty list matches nothing; leave methods out to match every method");
      }
      for (const Field& item : *items) {
        std::optional<std::string> name = r_.string(item);
        if (!name) {
          ok = false;
          continue;
        }
        // Methods are case-sensitive on the wire (RFC 9110 §9.1), but nobody writing `get`
        // in a config file means a different method.
        std::string upper = *name;
        for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        http::Method method = http::parse_method(upper);
        if (method == http::Method::Other) {
          std::vector<std::string_view> known;
          for (http::Method k : kNamedMethods) known.push_back(http::method_name(k));
          fail(item, YamlReader::unknown_word_message(*name, known));
          continue;
        }
        m.methods |= http::method_bit(method);
      }
    } else {
      ok = false;
    }
  }

  if (const Field* f = ms.find("host")) {
    if (std::optional<std::string> host = r_.string(*f)) {
      std::string lower = http::lowercase(*host);
      if (!lower.empty() && lower.back() == '.') lower.pop_back();
      std::string_view name = lower;
      if (name.starts_with("*.")) name.remove_prefix(2);
      if (lower == "*") {
        lower.clear();
      } else if (size_t colon = lower.find(':'); colon != std::string::npos) {
        fail(*f,
             concat("hosts are matched without the port; write '", lower.substr(0, colon), "'"));
      } else if (name.find('*') != std::string::npos || !is_host_name_or_ipv4(name)) {
        fail(*f, concat("'", *host,
                        "' is not a host name; write api.example.com, or *.example.com for every "
                        "name below example.com"));
      }
      m.host = lower;
    } else {
      ok = false;
    }
  }

  const Field* path_field = nullptr;
  for (auto [key, kind] :
       {std::pair{"path", PathMatchKind::Exact}, std::pair{"prefix", PathMatchKind::Prefix},
        std::pair{"glob", PathMatchKind::Glob}}) {
    const Field* f = ms.find(key);
    if (f == nullptr) continue;
    if (path_field != nullptr) {
      r_.error(f->key_mark, f->path,
               concat("a match takes one of path, prefix or glob; '", key, "' conflicts with '",
                      path_field->key, "'"));
      ok = false;
      continue;
    }
    path_field = f;
    std::optional<std::string> path = read_path(*f);
    if (!path) {
      ok = false;
      continue;
    }
    if (kind != PathMatchKind::Glob && path->find('*') != std::string::npos) {
      r_.warning(*f, "'*' is matched literally here; use `glob:` for wildcards");
    }
    if (std::string problem = brace_problem(*path, kind); !problem.empty()) {
      if (kind == PathMatchKind::Glob) {
        fail(*f, std::move(problem));
        continue;
      }
      r_.warning(*f, std::move(problem));
    }
    m.path_kind = kind;
    m.path = *path;
  }
  return ok;
}


// ---- the action table --------------------------------------------------------------------

using ActionRow = Setting<RuleActions>;
using base::JsonWriter;

void write_seconds(JsonWriter& w, std::chrono::seconds s) {
  w.value(format_duration(std::chrono::duration_cast<Duration>(s)));
}

void write_strings(JsonWriter& w, const std::vector<std::string>& list) {
  w.begin_array();
  for (const std::string& v : list) w.value(v);
  w.end_array();
}

ActionRow whole_seconds_row(std::string_view name, std::chrono::seconds RuleActions::*member,
                            std::string_view doc) {
  return custom<RuleActions>(
      name, "duration in whole seconds", Apply::Reload, doc, at(member), write_seconds,
      [member](YamlReader& r, const Field& f, RuleActions& a) {
        if (auto secs = RulesLoader(r).whole_seconds(f)) a.*member = *secs;
      });
}

std::vector<ActionRow> make_action_rows() {
  std::vector<ActionRow> rows;
  rows.push_back(word<RuleActions, CacheMode>(
      "cache", at(&RuleActions::cache),
      {{"store", CacheMode::Store}, {"validate", CacheMode::Validate}, {"bypass", CacheMode::Bypass}},
      Apply::Reload,
      "store: shared cache with local 304s; validate: always forwarded, ETag and 304s, nothing "
      "stored; bypass: streamed through untouched"));
  // `cache: off` is how nginx (proxy_cache off) and most switches here say "do not cache";
  // yaml-cpp hands over the word as written, and a YAML 1.1 tool may have written it as false
  // or no. The mode that caches nothing is bypass.
  rows.back().read = [read = rows.back().read](YamlReader& r, const Field& f, RuleActions& a) {
    bool no_cache = f.node.IsScalar() && (YamlReader::is_off_word(f.node.Scalar()) ||
                                          http::iequals(f.node.Scalar(), "no") ||
                                          http::iequals(f.node.Scalar(), "none"));
    if (!no_cache) {
      read(r, f, a);
      return;
    }
    r.error(f, concat("'", f.node.Scalar(),
                      "' is not one of: store, validate, bypass; to cache nothing, write cache: "
                      "bypass (validate also stores nothing, but still answers If-None-Match "
                      "with 304 from a hash of each response)"));
  };
  rows.push_back(custom<RuleActions>(
      "ttl", "origin | duration in whole seconds, or { 2xx: ..., 404: ..., other: ... }",
      Apply::Reload,
      "how long a stored response stays fresh; origin: as the upstream's s-maxage, max-age or "
      "Expires say; per status class or code, a code's entry first, other for the rest "
      "(origin unless given)",
      at(&RuleActions::ttl),
      [](JsonWriter& w, const Ttl& t) {
        auto write_value = [&](const TtlValue& v) {
          if (v.from_origin) {
            w.value("origin");
          } else {
            write_seconds(w, v.value);
          }
        };
        bool single = t.codes.empty() &&
                      std::none_of(t.classes.begin(), t.classes.end(),
                                   [](const std::optional<TtlValue>& c) { return c.has_value(); });
        if (single) {
          write_value(t);
          return;
        }
        w.begin_object();
        for (size_t cls = 0; cls < t.classes.size(); ++cls) {
          if (!t.classes[cls]) continue;
          w.key(concat(std::to_string(cls), "xx"));
          write_value(*t.classes[cls]);
        }
        for (const auto& [code, value] : t.codes) {
          w.key(std::to_string(code));
          write_value(value);
        }
        w.key("other");
        write_value(t);
        w.end_object();
      },
      [](YamlReader& r, const Field& f, RuleActions& a) { RulesLoader(r).read_ttl(f, a.ttl); }));
  rows.push_back(custom<RuleActions>(
      "cache_key",
      "{ query: { sort: on|off, ignore: [names], keep: [names], forward: as_sent|normalised } }",
      Apply::Reload,
      "how the URL becomes the cache key: query parameters sorted by name, dropped by name "
      "pattern (utm_*), or only the ones listed kept; the upstream gets the query as sent "
      "unless forward: normalised",
      at(&RuleActions::cache_key),
      [](JsonWriter& w, const CacheKeyActions& k) {
        w.begin_object().key("query").begin_object();
        w.key("sort").value(k.query.sort);
        w.key("ignore");
        write_strings(w, k.query.ignore);
        w.key("keep");
        write_strings(w, k.query.keep);
        w.key("forward").value(k.forward_normalised ? "normalised" : "as_sent");
        w.end_object().end_object();
      },
      [](YamlReader& r, const Field& f, RuleActions& a) {
        RulesLoader(r).read_cache_key(f, a.cache_key);
      }));
  rows.back().default_text = "the URL as sent";
  rows.push_back(custom<RuleActions>(
      "key_headers", "list of header names", Apply::Reload,
      "request headers whose values partition the cache, e.g. [Authorization]",
      at(&RuleActions::key_headers), write_strings,
      [](YamlReader& r, const Field& f, RuleActions& a) {
        if (f.node.IsScalar() || f.node.IsSequence()) {
          a.key_headers = RulesLoader(r).read_key_headers(f);
        } else {
          r.list(f);  // reports the type
        }
      }));
  rows.push_back(custom<RuleActions>(
      "key_cookies", "list of cookie names", Apply::Reload,
      "cookies whose values partition the cache, by name (case-sensitive), e.g. [sessionid]",
      at(&RuleActions::key_cookies), write_strings,
      [](YamlReader& r, const Field& f, RuleActions& a) {
        if (f.node.IsScalar() || f.node.IsSequence()) {
          a.key_cookies = RulesLoader(r).read_key_cookies(f);
        } else {
          r.list(f);
        }
      }));
  rows.push_back(custom<RuleActions>(
      "cache_control", "Cache-Control value, or { 2xx: ..., 3xx: ..., 4xx: ..., 5xx: ..., other: ... }",
      Apply::Reload,
      "the Cache-Control sent to clients, replacing the upstream's (a 304 takes the 2xx value)",
      at(&RuleActions::cache_control),
      [](JsonWriter& w, const CacheControlRewrite& cc) {
        w.begin_object();
        for (auto [key, slot] : {std::pair{"2xx", &cc.status_2xx}, std::pair{"3xx", &cc.status_3xx},
                                 std::pair{"4xx", &cc.status_4xx}, std::pair{"5xx", &cc.status_5xx},
                                 std::pair{"other", &cc.other}}) {
          if (*slot) w.key(key).value(**slot);
        }
        w.end_object();
      },
      [](YamlReader& r, const Field& f, RuleActions& a) {
        CacheControlRewrite rewrite;
        RulesLoader(r).read_cache_control(f, rewrite);
        a.cache_control = std::move(rewrite);
      }));
  rows.back().default_text = "none (the upstream's Cache-Control passes through)";
  rows.push_back(custom<RuleActions>(
      "invalidate", "list of path prefixes, $path, $parent", Apply::Reload,
      "cache prefixes dropped when a request matching the rule succeeds",
      at(&RuleActions::invalidate),
      [](JsonWriter& w, const std::vector<InvalidateTarget>& targets) {
        w.begin_array();
        for (const InvalidateTarget& t : targets) {
          switch (t.kind) {
            case InvalidateTarget::Kind::Literal: w.value(t.value); break;
            case InvalidateTarget::Kind::Path: w.value("$path"); break;
            case InvalidateTarget::Kind::Parent: w.value("$parent"); break;
          }
        }
        w.end_array();
      },
      [](YamlReader& r, const Field& f, RuleActions& a) {
        std::vector<InvalidateTarget> targets;
        RulesLoader(r).read_invalidate(f, targets);
        a.invalidate = std::move(targets);
      }));
  rows.push_back(custom<RuleActions>(
      "headers", "{ remove: [names], set: { name: value }, add: { name: value } }", Apply::Reload,
      "response header edits; they add up over the defaults' edits",
      at(&RuleActions::headers),
      [](JsonWriter& w, const HeaderEdits& h) {
        w.begin_object();
        w.key("remove");
        write_strings(w, h.remove);
        for (auto [which, list] : {std::pair{"set", &h.set}, std::pair{"add", &h.add}}) {
          w.key(which).begin_object();
          for (const auto& [name, value] : *list) w.key(name).value(value);
          w.end_object();
        }
        w.end_object();
      },
      [](YamlReader& r, const Field& f, RuleActions& a) {
        RulesLoader(r).read_headers(f, a.headers);
      }));
  rows.back().default_text = "none";
  rows.push_back(word<RuleActions, EtagPolicy>(
      "etag", at(&RuleActions::etag),
      {{"preserve", EtagPolicy::Preserve}, {"generate", EtagPolicy::Generate}}, Apply::Reload,
      "preserve: keep the upstream's ETag, make one when it sends none; generate: always the "
      "content hash"));
  rows.push_back(word<RuleActions, RangePolicy>(
      "range", at(&RuleActions::range),
      {{"whole", RangePolicy::Whole}, {"forward", RangePolicy::Forward}}, Apply::Reload,
      "whole: a Range miss fetches and stores the whole response; forward: it asks the origin "
      "for the range and stores the 206 as partial content, combined with later parts"));
  rows.push_back(whole_seconds_row(
      "stale_if_error", &RuleActions::stale_if_error,
      "how long past freshness a stored response may be served when the origin fails (RFC 5861)"));
  rows.push_back(whole_seconds_row(
      "stale_while_revalidate", &RuleActions::stale_while_revalidate,
      "how long past freshness a stored response may be served while one request refreshes it"));
  rows.push_back(on_off<RuleActions>(
      "ignore_upstream_cache_control", at(&RuleActions::ignore_upstream_cache_control),
      Apply::Reload,
      "store even private and no-store responses, for the rule's fixed ttl (nginx: "
      "proxy_ignore_headers)"));
  rows.push_back(custom<RuleActions>(
      "compress",
      "off | on | { encodings: [br, zstd, gzip], types: [media types], min_size: size, "
      "level: { br: 0-11, zstd: 1-19, gzip: 1-9 } }",
      Apply::Reload,
      "content codings etagd produces itself, stored once per response with a strong ETag "
      "each; a block's missing keys take: encodings [br, zstd, gzip], types "
      "[application/json, text/*, application/javascript, application/xml, image/svg+xml], "
      "min_size 512B, level { br: 5, zstd: 6, gzip: 6 }",
      at(&RuleActions::compress),
      [](JsonWriter& w, const CompressPolicy& p) {
        if (!p.enabled) {
          w.value("off");
          return;
        }
        w.begin_object();
        w.key("encodings").begin_array();
        for (http::ContentCoding c : p.encodings) w.value(http::coding_name(c));
        w.end_array();
        w.key("types");
        write_strings(w, p.types);
        w.key("min_size").value(format_size(p.min_size));
        w.key("level").begin_object();
        w.key("br").value(static_cast<int64_t>(p.level_br));
        w.key("zstd").value(static_cast<int64_t>(p.level_zstd));
        w.key("gzip").value(static_cast<int64_t>(p.level_gzip));
        w.end_object();
        w.end_object();
      },
      [](YamlReader& r, const Field& f, RuleActions& a) {
        RulesLoader(r).read_compress(f, a.compress);
      }));
  return rows;
}

}  // namespace

const std::vector<Setting<RuleActions>>& rule_action_settings() {
  static const std::vector<Setting<RuleActions>> rows = make_action_rows();
  return rows;
}

const std::vector<KeyDoc>& rule_keys() {
  static const std::vector<KeyDoc> keys = {
      {"name", "text", "names the rule in messages and /config; unique; default rules[N]"},
      {"match", "mapping", "which requests the rule applies to; every condition given must hold"},
  };
  return keys;
}

const std::vector<KeyDoc>& match_keys() {
  static const std::vector<KeyDoc> keys = {
      {"methods", "list of methods", "any of these methods (left out: every method)"},
      {"host", "host name | *.domain", "the request's host without port, any case"},
      {"path", "path", "exactly this path (without the query)"},
      {"prefix", "path", "any path starting with this string"},
      {"glob", "path pattern", "* within one path segment, ** across segments"},
  };
  return keys;
}

namespace {

std::vector<std::string_view> action_names() {
  std::vector<std::string_view> names;
  for (const Setting<RuleActions>& row : rule_action_settings()) names.push_back(row.name);
  return names;
}

}  // namespace

RuleSet read_rules(YamlReader& reader, const Field* defaults_field, const Field* rules_field) {
  RulesLoader loader(reader);
  RuleActions defaults;
  // After an error the actions hold defaults the file does not give: warnings about them (a
  // ttl without effect, responses shared between users, a shadowed rule) would mislead, so
  // an invalid rule, or every rule when `defaults` is invalid, gets its errors alone.
  bool defaults_failed = false;
  if (defaults_field != nullptr) {
    YamlReader::Section s = reader.section(*defaults_field, action_names());
    if (s.is_map()) {
      loader.read_actions(s, defaults);
      defaults_failed = reader.has_error_within(defaults_field->path);
      if (!defaults_failed) {
        loader.warn_storage_without_effect(s, defaults);
        loader.warn_if_shared_between_users(*defaults_field, s, defaults);
      }
    }
  }

  std::vector<Rule> rules;
  std::vector<bool> match_ok;  // its match reads: other rules are compared with it
  std::vector<bool> valid;     // no error at all: warnings about it are worth giving
  std::vector<YAML::Mark> marks;
  if (rules_field != nullptr && !rules_field->node.IsNull()) {
    if (!rules_field->node.IsSequence()) {
      reader.error(*rules_field,
                   concat("expected a list of rules, found ", describe_node(rules_field->node)));
    } else {
      std::vector<std::string_view> keys;
      for (const KeyDoc& k : rule_keys()) keys.push_back(k.name);
      std::vector<std::string_view> actions = action_names();
      keys.insert(keys.end(), actions.begin(), actions.end());
      size_t index = 0;
      for (const auto& node : rules_field->node) {
        Field rf = YamlReader::item(*rules_field, node, index++);
        Rule rule;
        rule.name = rf.path;
        rule.line = rf.mark.line + 1;
        rule.actions = defaults;
        YamlReader::Section s = reader.section(rf, keys);
        bool match_read = false;
        bool ok = s.is_map();
        if (ok) {
          if (const Field* nf = s.find("name")) {
            if (auto name = reader.string(*nf)) {
              // A name identifies the rule in messages, logs and /config: one name, one rule.
              auto same = std::find_if(rules.begin(), rules.end(),
                                       [&](const Rule& other) { return other.name == *name; });
              if (name->empty()) {
                reader.error(*nf, "a rule name cannot be empty; leave `name` out to call the "
                                  "rule by its position");
              } else if (name->starts_with("rules[") && *name != rf.path) {
                reader.error(*nf, concat("'", *name, "' is how an unnamed rule is called in "
                                         "messages; give this rule another name"));
              } else if (same != rules.end()) {
                reader.error(*nf, concat("'", *name, "' is already the name of rules[",
                                         std::to_string(same - rules.begin()), "] (line ",
                                         std::to_string(same->line),
                                         "); rule names must be unique"));
              } else {
                rule.name = *name;
              }
            }
          }
          match_read = loader.read_match(rf, s, rule.match);
          loader.read_actions(s, rule.actions);
          ok = match_read && !reader.has_error_within(rf.path);
          if (ok && !defaults_failed) {
            loader.warn_storage_without_effect(s, rule.actions);
            // A rule that sets none of these has the defaults' sharing, already warned about.
            bool own_sharing =
                std::any_of(kSharingKeys.begin(), kSharingKeys.end(),
                            [&](std::string_view k) { return s.find(k) != nullptr; });
            if (own_sharing) loader.warn_if_shared_between_users(rf, s, rule.actions);
          }
        }
        rules.push_back(std::move(rule));
        match_ok.push_back(match_read);
        valid.push_back(ok);
        marks.push_back(rf.mark);
      }
    }
  }

  // A rule that an earlier one covers entirely is dead weight, and almost always a rule order
  // mistake: the specific rule was meant to come first.
  for (size_t later = 0; later < rules.size(); ++later) {
    if (!valid[later]) continue;
    for (size_t earlier = 0; earlier < later; ++earlier) {
      if (!match_ok[earlier] || !match_covers(rules[earlier].match, rules[later].match)) continue;
      reader.warning(marks[later], concat("rules[", std::to_string(later), "]"),
                     concat("never applies: '", rules[earlier].name, "' (line ",
                            std::to_string(rules[earlier].line),
                            ") comes first and matches every request this rule matches; put the "
                            "more specific rule first"));
      break;
    }
  }
  return RuleSet(std::move(defaults), std::move(rules));
}

}  // namespace etagd::config
