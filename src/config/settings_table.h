// The settings of a config file outside `defaults:` and `rules:`, one table per block: the
// top level (listen, trusted_proxies, workers) and upstream, timeouts, limits, cache, log,
// admin and fleet. Adding a setting is one row here plus its member in config.h (which holds
// the default) and its entry in conf/etagd.yaml (a test fails until it is there); the loader,
// /config, the restart check and etagd.yaml(5) follow from the row.
//
// What a row cannot say is a block's business: a block that can be switched off whole
// (`admin: off`), a shorthand that is not a mapping (`upstream: http://...`), and checks that
// involve several keys (fleet.reconnect_max >= reconnect_min). Rules (`defaults:`, `rules:`)
// have their own table of actions in rules_loader.h.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/setting.h"
#include "config/yaml_reader.h"

namespace etagd::config {

struct SettingsBlock {
  std::string_view name;  // "" for the top level
  std::string_view doc;   // one line, for the man page
  std::vector<Setting<Config>> settings;

  // Blocks that `name: off` switches off whole (and `name: on` on, with defaults): where the
  // switch lives, and whether turning it needs a restart.
  std::optional<Place<Config, bool>> enabled;
  Apply switch_apply = Apply::Restart;
  // When not empty the block must be given; the message says what it is.
  std::string_view required;
  // Reads a value that is not a mapping (`upstream: http://...`); false means "not handled",
  // and the usual "expected a mapping" error follows.
  std::function<bool(YamlReader&, const Field&, Config&)> read_other;
  // Checks across keys, once every key of the block present in `section` is read.
  std::function<void(YamlReader&, const Field& block, const YamlReader::Section& section,
                     Config&)>
      check;

  // The path of one of its keys: "timeouts.client_header", or "workers" at the top level.
  std::string path_of(std::string_view key) const {
    return name.empty() ? std::string(key) : concat(name, ".", key);
  }
};

// The top level first, then the blocks in the order conf/etagd.yaml shows them.
const std::vector<SettingsBlock>& settings_blocks();

// The keys of a `listen:` entry written as a mapping, `address` first. A listener option is a
// row here and a member of ListenerConfig; the dump, the restart check, etagd.yaml(5) and the
// test against conf/etagd.yaml follow from the row, as for the blocks.
const std::vector<Setting<ListenerConfig>>& listener_settings();
// The man page's section for them, and its one-line doc.
inline constexpr std::string_view kListenerSection = "listen";
inline constexpr std::string_view kListenerDoc =
    "an entry of listen written as a mapping, for options of that listener";

// The keys of `upstream.tls`, a mapping inside the upstream block; its section in the man
// page, and the section's one-line doc.
const std::vector<Setting<UpstreamTls>>& upstream_tls_settings();
inline constexpr std::string_view kUpstreamTlsSection = "upstream.tls";
inline constexpr std::string_view kUpstreamTlsDoc =
    "the keys of upstream.tls, for an https:// upstream";

// The top-level keys the table does not cover: read by rules_loader.h.
inline constexpr std::string_view kRuleKeys[] = {"defaults", "rules"};

}  // namespace etagd::config
