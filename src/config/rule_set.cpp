#include "config/rule_set.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "http/token.h"

namespace etagd::config {

namespace {

constexpr uint32_t kNoRule = std::numeric_limits<uint32_t>::max();

// Transparent hashing lets find() take the request's string_view without building a string.
struct PathHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// A glob that is a literal followed by a trailing "**" and nothing else ("/static/**") means
// the same as `prefix: /static/`; returns that prefix, or nullopt for any other glob.
std::optional<std::string_view> glob_as_prefix(std::string_view glob) {
  size_t star = glob.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  std::string_view rest = glob.substr(star);
  if (rest.size() < 2 || rest.find_first_not_of('*') != std::string_view::npos) return std::nullopt;
  return glob.substr(0, star);
}

// The part of a glob before its first '*': every path it matches starts with it.
std::string_view glob_literal_head(std::string_view glob) {
  return glob.substr(0, std::min(glob.find('*'), glob.size()));
}

bool method_allowed(uint32_t methods, http::Method m) {
  return methods == 0 || (methods & http::method_bit(m)) != 0;
}

}  // namespace

struct RuleSet::Index {
  // Rule indices per exact path, ascending.
  std::unordered_map<std::string, std::vector<uint32_t>, PathHash, std::equal_to<>> exact;

  // A byte-wise trie of prefixes. Walking it along the request path visits every prefix rule
  // that could match, and only those. Children are few per node (paths share long runs), so
  // a small sorted vector beats a map in both memory and lookups.
  struct TrieNode {
    std::vector<std::pair<char, uint32_t>> children;  // sorted by char
    std::vector<uint32_t> rules;                      // ascending
  };
  std::vector<TrieNode> trie{TrieNode{}};

  // Globs and path-less rules: checked one by one, in order.
  std::vector<uint32_t> rest;

  void add_prefix(std::string_view prefix, uint32_t rule) {
    uint32_t node = 0;
    for (char c : prefix) {
      auto& children = trie[node].children;
      auto it = std::lower_bound(children.begin(), children.end(), c,
                                 [](const auto& edge, char ch) { return edge.first < ch; });
      if (it != children.end() && it->first == c) {
        node = it->second;
        continue;
      }
      uint32_t child = static_cast<uint32_t>(trie.size());
      children.insert(it, {c, child});
      trie.emplace_back();  // invalidates `children`; not used again in this iteration
      node = child;
    }
    trie[node].rules.push_back(rule);
  }

  uint32_t find_child(uint32_t node, char c) const {
    const auto& children = trie[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), c,
                               [](const auto& edge, char ch) { return edge.first < ch; });
    return (it != children.end() && it->first == c) ? it->second : kNoRule;
  }
};

RuleSet::RuleSet() : RuleSet(RuleActions{}, {}) {}

RuleSet::RuleSet(RuleActions defaults, std::vector<Rule> rules)
    : defaults_(std::move(defaults)), rules_(std::move(rules)), index_(std::make_unique<Index>()) {
  // Rules are added in ascending order, so every per-key list comes out sorted.
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    const RuleMatch& m = rules_[i].match;
    switch (m.path_kind) {
      case PathMatchKind::Exact:
        index_->exact[m.path].push_back(i);
        break;
      case PathMatchKind::Prefix:
        index_->add_prefix(m.path, i);
        break;
      case PathMatchKind::Glob:
        if (auto prefix = glob_as_prefix(m.path)) {
          index_->add_prefix(*prefix, i);
        } else if (m.path.find('*') == std::string::npos) {
          index_->exact[m.path].push_back(i);
        } else {
          index_->rest.push_back(i);
        }
        break;
      case PathMatchKind::Any:
        index_->rest.push_back(i);
        break;
    }
  }
}

RuleSet::~RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;

RuleMatchResult RuleSet::match(http::Method method, std::string_view host,
                               std::string_view path) const {
  // Each source yields candidates in ascending rule order; the answer is the lowest index that
  // also fits method and host, so a source is abandoned as soon as it reaches the best so far.
  uint32_t best = kNoRule;
  auto fits = [&](uint32_t i) {
    const RuleMatch& m = rules_[i].match;
    return method_allowed(m.methods, method) && host_matches(m.host, host);
  };
  auto consider = [&](const std::vector<uint32_t>& candidates) {
    for (uint32_t i : candidates) {
      if (i >= best) return;
      if (fits(i)) {
        best = i;
        return;
      }
    }
  };

  if (auto it = index_->exact.find(path); it != index_->exact.end()) consider(it->second);

  uint32_t node = 0;
  for (size_t depth = 0;; ++depth) {
    const Index::TrieNode& n = index_->trie[node];
    if (!n.rules.empty()) consider(n.rules);
    if (depth == path.size()) break;
    node = index_->find_child(node, path[depth]);
    if (node == kNoRule) break;
  }

  for (uint32_t i : index_->rest) {
    if (i >= best) break;
    const RuleMatch& m = rules_[i].match;
    if (m.path_kind == PathMatchKind::Glob && !glob_match(m.path, path)) continue;
    if (fits(i)) {
      best = i;
      break;
    }
  }

  if (best == kNoRule) return {&defaults_, nullptr};
  return {&rules_[best].actions, &rules_[best]};
}

bool host_matches(std::string_view pattern, std::string_view host) {
  if (pattern.empty()) return true;
  // "example.com." is the same name as "example.com" (RFC 1034 §3.1), and clients send both.
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (pattern.size() > 2 && pattern[0] == '*' && pattern[1] == '.') {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() &&
           http::iequals(host.substr(host.size() - suffix.size()), suffix);
  }
  return http::iequals(pattern, host);
}

namespace {

bool is_wildcard_host(std::string_view h) { return h.size() > 2 && h[0] == '*' && h[1] == '.'; }

bool host_covers(std::string_view earlier, std::string_view later) {
  if (earlier.empty() || earlier == later) return true;
  if (later.empty() || !is_wildcard_host(earlier)) return false;
  // "*.example.com" covers "api.example.com", and "*.eu.example.com" because every name
  // below eu.example.com is below example.com too.
  return host_matches(earlier, is_wildcard_host(later) ? later.substr(2) : later);
}

// A path match in a normal form: every glob that is really an exact path or a prefix is
// rewritten as one, so "/a/**" and `prefix: /a/` compare as equal.
struct PathForm {
  PathMatchKind kind;
  std::string_view text;
};

PathForm normal_form(const RuleMatch& m) {
  if (m.path_kind != PathMatchKind::Glob) return {m.path_kind, m.path};
  if (m.path.find('*') == std::string::npos) return {PathMatchKind::Exact, m.path};
  if (auto prefix = glob_as_prefix(m.path)) return {PathMatchKind::Prefix, *prefix};
  return {PathMatchKind::Glob, m.path};
}

bool path_covers(PathForm earlier, PathForm later) {
  switch (earlier.kind) {
    case PathMatchKind::Any:
      return true;
    case PathMatchKind::Exact:
      return later.kind == PathMatchKind::Exact && later.text == earlier.text;
    case PathMatchKind::Prefix:
      switch (later.kind) {
        case PathMatchKind::Any:
          return false;
        case PathMatchKind::Exact:
        case PathMatchKind::Prefix:
          return later.text.starts_with(earlier.text);
        case PathMatchKind::Glob:
          return glob_literal_head(later.text).starts_with(earlier.text);
      }
      return false;
    case PathMatchKind::Glob:
      return (later.kind == PathMatchKind::Glob && later.text == earlier.text) ||
             (later.kind == PathMatchKind::Exact && glob_match(earlier.text, later.text));
  }
  return false;
}

}  // namespace

bool match_covers(const RuleMatch& earlier, const RuleMatch& later) {
  bool methods =
      earlier.methods == 0 || (later.methods != 0 && (later.methods & ~earlier.methods) == 0);
  return methods && host_covers(earlier.host, later.host) &&
         path_covers(normal_form(earlier), normal_form(later));
}

}  // namespace etagd::config
