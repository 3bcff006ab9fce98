// Every key a config file may hold, as documentation: path, type, default, when a change
// applies, and one line of doc. Built from the tables (settings_table.h, rules_loader.h), so
// the man page etagd.yaml(5) and the test against conf/etagd.yaml see exactly the keys the
// loader accepts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/setting.h"

namespace etagd::config {

struct SettingDoc {
  std::string section;  // "" (top level), "upstream", ..., "defaults and rules", "rules", "match"
  std::string path;     // "timeouts.client_header"; actions by name ("ttl"); "match.glob"
  std::string type;
  std::string default_text;  // "10s", "[]", "required", "" (none: a rule key)
  Apply apply = Apply::Reload;
  std::string_view doc;
};

std::vector<SettingDoc> settings_reference();

// The man page: `page_template` (docs/man/etagd.yaml.5.in) with `@SETTINGS@` replaced by one
// roff section per block, and `@VERSION@` by `version`.
std::string render_man_page(std::string_view page_template, std::string_view version);

}  // namespace etagd::config
