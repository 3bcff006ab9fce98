// The settings tables against their documentation: conf/etagd.yaml names every key the loader
// accepts (as YAML, or in a commented-out YAML fragment such as the `fleet:` block), names no
// key the loader lacks, and shows each setting at its built-in default; the man page lists
// every key with its type, default and whether a change needs a restart.
#include "config/settings_reference.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "config/rules_loader.h"
#include "config/settings_table.h"

namespace etagd::config {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kReferencePath = std::string(ETAGD_SOURCE_DIR) + "/conf/etagd.yaml";

// Identity of a documented key: its man page section and path ("timeouts" +
// "timeouts.client_header", "defaults and rules" + "ttl", "match" + "match.glob").
using Key = std::pair<std::string, std::string>;

// Walks the keys of a parsed conf/etagd.yaml (or of a fragment of it) and sorts them into the
// keys the tables know and the ones they do not.
struct KeyWalk {
  std::set<Key> found;
  std::vector<std::string> unknown;  // paths as written

  static const SettingsBlock* block_named(std::string_view name) {
    for (const SettingsBlock& b : settings_blocks()) {
      if (b.name == name) return &b;
    }
    return nullptr;
  }
  static bool has_setting(const SettingsBlock& b, std::string_view key) {
    for (const Setting<Config>& s : b.settings) {
      if (s.name == key) return true;
    }
    return false;
  }
  static bool is_action(std::string_view key) {
    for (const Setting<RuleActions>& s : rule_action_settings()) {
      if (s.name == key) return true;
    }
    return false;
  }

  void actions(const YAML::Node& map, const std::string& where) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (is_action(key)) {
        found.insert({"defaults and rules", key});
      } else {
        unknown.push_back(where + "." + key);
      }
    }
  }

  void match(const YAML::Node& map, const std::string& where) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      bool known = false;
      for (const KeyDoc& k : match_keys()) known = known || k.name == key;
      if (known) {
        found.insert({"match", "match." + key});
      } else {
        unknown.push_back(where + "." + key);
      }
    }
  }

  void rule(const YAML::Node& map, const std::string& where) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (key == "match") {
        found.insert({"rules", "match"});
        match(kv.second, where + ".match");
      } else if (key == "name") {
        found.insert({"rules", "name"});
      } else if (is_action(key)) {
        found.insert({"defaults and rules", key});
      } else {
        unknown.push_back(where + "." + key);
      }
    }
  }

  // The entries of `listen:` written as mappings.
  void listeners(const YAML::Node& list) {
    if (!list.IsSequence()) return;
    size_t i = 0;
    for (const auto& item : list) {
      std::string where = "listen[" + std::to_string(i++) + "]";
      if (!item.IsMap()) continue;
      for (const auto& kv : item) {
        std::string key = kv.first.Scalar();
        bool known = false;
        for (const Setting<ListenerConfig>& s : listener_settings()) known = known || s.name == key;
        if (known) {
          found.insert({std::string(kListenerSection), std::string(kListenerSection) + "[]." + key});
        } else {
          unknown.push_back(where + "." + key);
        }
      }
    }
  }

  // The keys of `upstream.tls`.
  void upstream_tls(const YAML::Node& map) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      bool known = false;
      for (const Setting<UpstreamTls>& s : upstream_tls_settings()) known = known || s.name == key;
      std::string path = std::string(kUpstreamTlsSection) + "." + key;
      if (known) {
        found.insert({std::string(kUpstreamTlsSection), path});
      } else {
        unknown.push_back(path);
      }
    }
  }

  void top(const YAML::Node& root) {
    if (!root.IsMap()) return;
    const SettingsBlock& top_level = settings_blocks().front();
    for (const auto& kv : root) {
      std::string key = kv.first.Scalar();
      if (has_setting(top_level, key)) {
        found.insert({"", key});
        if (key == kListenerSection) listeners(kv.second);
      } else if (const SettingsBlock* b = block_named(key); b != nullptr && !key.empty()) {
        if (!kv.second.IsMap()) continue;  // `admin: off`, `upstream: URL`
        for (const auto& inner : kv.second) {
          std::string name = inner.first.Scalar();
          if (has_setting(*b, name)) {
            found.insert({key, b->path_of(name)});
            if (b->path_of(name) == kUpstreamTlsSection) upstream_tls(inner.second);
          } else {
            unknown.push_back(key + "." + name);
          }
        }
      } else if (key == "defaults") {
        actions(kv.second, "defaults");
      } else if (key == "rules") {
        if (!kv.second.IsSequence()) continue;
        size_t i = 0;
        for (const auto& r : kv.second) rule(r, "rules[" + std::to_string(i++) + "]");
      } else if (key == "match") {
        found.insert({"rules", "match"});
        match(kv.second, "match");  // a fragment documenting a rule's match
      } else {
        unknown.push_back(key);
      }
    }
  }
};

bool is_identifier(const YAML::Node& key) {
  if (!key.IsScalar() || key.Scalar().empty()) return false;
  for (char c : key.Scalar()) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool has_identifier_keys(const YAML::Node& map) {
  if (!map.IsMap()) return false;
  for (const auto& inner : map) {
    if (!is_identifier(inner.first)) return false;
  }
  return true;
}

// A commented-out block such as `fleet:` with its keys below it, or a list of such mappings
// (`listen:` entries), as opposed to prose that YAML happens to read as a mapping ("Reload
// without dropping a connection: ...").
bool is_commented_block(const YAML::Node& node) {
  if (!node.IsMap() || node.size() == 0) return false;
  for (const auto& kv : node) {
    if (!is_identifier(kv.first)) return false;
    if (kv.second.IsSequence() && kv.second.size() > 0) {
      for (const auto& item : kv.second) {
        if (!item.IsScalar() && !has_identifier_keys(item)) return false;
      }
    } else if (!has_identifier_keys(kv.second)) {
      return false;
    }
  }
  return true;
}

// The commented-out YAML fragments of a file: runs of comment lines that start with
// `# word:` right after a line that is only `#` (or no comment at all), up to the next such
// line or the end of the comment, parsed as YAML with the `# ` taken off.
std::vector<YAML::Node> commented_fragments(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::vector<YAML::Node> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    bool starts = lines[i].size() > 2 && lines[i].rfind("# ", 0) == 0 &&
                  std::isalpha(static_cast<unsigned char>(lines[i][2])) &&
                  lines[i].find(':') != std::string::npos &&
                  (i == 0 || lines[i - 1] == "#" || lines[i - 1].rfind('#', 0) != 0);
    if (!starts) continue;
    std::string fragment;
    size_t j = i;
    for (; j < lines.size() && lines[j].rfind("# ", 0) == 0; ++j) fragment += lines[j].substr(2) + "\n";
    try {
      YAML::Node node = YAML::Load(fragment);
      if (is_commented_block(node)) out.push_back(node);
    } catch (const YAML::Exception&) {
      // prose that happens to start like a key
    }
    i = j;
  }
  return out;
}

KeyWalk walk_reference() {
  std::string text = read_text(kReferencePath);
  REQUIRE_FALSE(text.empty());
  KeyWalk walk;
  walk.top(YAML::Load(text));
  for (const YAML::Node& fragment : commented_fragments(text)) walk.top(fragment);
  return walk;
}

TEST_CASE("every key of the settings tables is documented in conf/etagd.yaml") {
  KeyWalk walk = walk_reference();
  for (const SettingDoc& d : settings_reference()) {
    CAPTURE(d.section);
    CAPTURE(d.path);
    CHECK(walk.found.count({d.section, d.path}) == 1);
  }
}

TEST_CASE("conf/etagd.yaml names no key that the settings tables lack") {
  KeyWalk walk = walk_reference();
  for (const std::string& path : walk.unknown) {
    CAPTURE(path);
    CHECK_MESSAGE(false, "conf/etagd.yaml has a key the tables do not describe");
  }
  // The fragments were found: the fleet block exists only as one.
  CHECK(walk.found.count({"fleet", "fleet.redis"}) == 1);
  CHECK(walk.found.count({"match", "match.glob"}) == 1);
  CHECK(walk.found.count({"listen", "listen[].http2"}) == 1);
  CHECK(walk.found.count({"listen", "listen[].tls"}) == 1);
  CHECK(walk.found.count({"upstream.tls", "upstream.tls.client_key"}) == 1);
}

TEST_CASE("conf/etagd.yaml shows every setting at its built-in default") {
  LoadResult r = load_config_file(kReferencePath);
  REQUIRE(r.ok());
  const Config defaults;
  // What the reference sets on purpose: the two required settings (upstream.url is the one
  // entry of upstream.servers).
  const std::set<std::string> chosen = {"listen", "upstream.url", "upstream.servers"};
  for (const SettingsBlock& b : settings_blocks()) {
    if (b.enabled && !(*b.enabled)(*r.config)) continue;  // fleet: shown commented out
    for (const Setting<Config>& s : b.settings) {
      std::string path = b.path_of(s.name);
      if (chosen.count(path)) continue;
      CAPTURE(path);
      CHECK_MESSAGE(s.same(*r.config, defaults), "file: ", value_text(s, *r.config),
                    ", built in: ", value_text(s, defaults));
    }
  }
  const RuleActions default_actions;
  for (const Setting<RuleActions>& s : rule_action_settings()) {
    if (s.name == "headers") continue;  // the reference removes Server and X-Powered-By
    CAPTURE(s.name);
    CHECK(s.same(r.config->rules.defaults(), default_actions));
  }
}

TEST_CASE("the man page lists every setting with its type, default and restart need") {
  std::string page = render_man_page(".TH T 5\n.SH SETTINGS\n@SETTINGS@\n", "9.9");
  for (const SettingDoc& d : settings_reference()) {
    CAPTURE(d.path);
    std::string path;
    for (char c : d.path) path += c == '-' ? std::string("\\-") : std::string(1, c);
    size_t at = page.find(".TP\n\\fB" + path + "\\fR (");
    REQUIRE(at != std::string::npos);
    std::string entry = page.substr(at, page.find(".TP", at + 1) - at);
    if (!d.default_text.empty()) CHECK(entry.find("; default \\fB") != std::string::npos);
    CHECK((entry.find("restart to change") != std::string::npos) == (d.apply == Apply::Restart));
  }
  CHECK(page.find("\\fBcache.shards\\fR (integer, 1 to 4096; default \\fB16\\fR; restart to "
                  "change)") != std::string::npos);
  CHECK(page.find("\\fBtimeouts.client_header\\fR (duration, more than 0; default \\fB10s\\fR)") !=
        std::string::npos);
  CHECK(page.find("\\fBfleet.instance_id\\fR (text without spaces; default \\fBhostname:pid\\fR; "
                  "restart to change)") != std::string::npos);
}

TEST_CASE("the man page template keeps its hand-written parts and fills in the version") {
  std::string page = render_man_page("A @VERSION@\n@SETTINGS@\nB\n", "1.2.3");
  CHECK(page.starts_with("A 1.2.3\n.SS TOP LEVEL\n"));
  CHECK(page.ends_with("\nB\n"));
}

TEST_CASE("every setting has a one-line doc and a type") {
  for (const SettingDoc& d : settings_reference()) {
    CAPTURE(d.path);
    CHECK_FALSE(d.doc.empty());
    CHECK_FALSE(d.type.empty());
    CHECK(d.doc.find('\n') == std::string_view::npos);
  }
}

}  // namespace
}  // namespace etagd::config
