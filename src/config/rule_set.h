// The ordered rule list and its lookup: the first rule whose match fits a request applies;
// when none fits, the `defaults` actions apply.
//
// Matching allocates nothing. Exact paths are found in a hash map and prefixes by walking a
// trie along the request path, so the cost grows with the path length and the number of
// candidate rules, not with the number of rules; glob and path-less rules are checked in order.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "config/rule.h"
#include "http/method.h"

namespace etagd::config {

struct RuleMatchResult {
  const RuleActions* actions = nullptr;  // never null after a match() call
  const Rule* rule = nullptr;            // null when the defaults applied
};

class RuleSet {
 public:
  RuleSet();
  RuleSet(RuleActions defaults, std::vector<Rule> rules);  // builds the index
  ~RuleSet();
  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // `host` is the request's Host without port, any case; `path` excludes the query.
  RuleMatchResult match(http::Method method, std::string_view host, std::string_view path) const;

  const RuleActions& defaults() const { return defaults_; }
  const std::vector<Rule>& rules() const { return rules_; }

 private:
  struct Index;  // exact-path map, prefix trie, ordered list of the rest
  RuleActions defaults_;
  std::vector<Rule> rules_;
  std::unique_ptr<Index> index_;
};

// Glob match as described in rule.h ('*' within a segment, "**" across segments).
bool glob_match(std::string_view pattern, std::string_view path);

// Host match as described in rule.h: `pattern` is lowercase ("" any, "api.example.com",
// "*.example.com" = any name below example.com but not example.com itself); `host` is
// compared without regard to case and one trailing dot ("API.example.com." matches).
bool host_matches(std::string_view pattern, std::string_view host);

// True when every request `later` can match is also matched by `earlier`, so a rule with
// `later` placed after a rule with `earlier` never applies. Conservative: false when unsure.
bool match_covers(const RuleMatch& earlier, const RuleMatch& later);

}  // namespace etagd::config
