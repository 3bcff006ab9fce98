// Internal to the config loader: the `defaults:` block and the `rules:` list.
#pragma once

#include "config/rule_set.h"
#include "config/yaml_reader.h"

namespace etagd::config {

// Reads both (either may be null: absent from the file) into a RuleSet. Every rule starts from
// the defaults' actions and overrides the keys it sets; `headers` edits accumulate instead
// (see conf/etagd.yaml). Rules that can never apply are reported as warnings.
RuleSet read_rules(YamlReader& reader, const Field* defaults, const Field* rules);

// The keys `defaults:` and a rule take besides `name` and `match`.
const std::vector<std::string_view>& rule_action_keys();

}  // namespace etagd::config
