// Internal to the config loader: the `defaults:` block and the `rules:` list.
#pragma once

#include "config/rule_set.h"
#include "config/setting.h"
#include "config/yaml_reader.h"

namespace etagd::config {

// Reads both (either may be null: absent from the file) into a RuleSet. Every rule starts from
// the defaults' actions and overrides the keys it sets; `headers` edits accumulate instead
// (see conf/etagd.yaml). Rules that can never apply are reported as warnings.
RuleSet read_rules(YamlReader& reader, const Field* defaults, const Field* rules);

// The actions `defaults:` and every rule take, one row each (setting.h): the loader, /config
// and the docs read them from here. Scalar actions use the generic readers; the structured
// ones (key lists, cache_control per status class, invalidate, headers) have hand-written
// readers in their rows, since their values are small languages of their own.
const std::vector<Setting<RuleActions>>& rule_action_settings();

// A rule's own keys and the conditions of its `match`, named and documented once. They are
// read by hand: a match's conditions depend on each other (one of path, prefix or glob), and
// they describe requests rather than hold settings.
struct KeyDoc {
  std::string_view name;
  std::string_view type;
  std::string_view doc;
};
const std::vector<KeyDoc>& rule_keys();   // name, match
const std::vector<KeyDoc>& match_keys();  // methods, host, path, prefix, glob

}  // namespace etagd::config
