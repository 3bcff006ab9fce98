#include "config/config_loader.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/concat.h"
#include "config/rules_loader.h"
#include "config/settings_table.h"
#include "config/yaml_reader.h"
#include "config/yaml_syntax_error.h"

namespace etagd::config {

namespace {

bool has_key(const SettingsBlock& b, std::string_view key) {
  return std::any_of(b.settings.begin(), b.settings.end(),
                     [&](const Setting<Config>& s) { return s.name == key; });
}

// Where a key that is unknown where it was written is meant to go: a key of another block
// (`access_log` at the top level is `log.access_log`), or a name other servers use.
std::string unknown_key_hint(std::string_view path, std::string_view key) {
  if (path == "upstream" && key == "max_conns") {
    return "did you mean 'max_connections'? (requests in flight to the origin, all workers "
           "together, as nginx's max_conns)";
  }
  if (key == "max_conns" || key == "worker_connections") {
    return path == "limits"
               ? "did you mean 'max_connections'?"
               : "did you mean 'limits.max_connections'? (client connections, whole process)";
  }
  std::vector<std::string> homes;
  for (const SettingsBlock& b : settings_blocks()) {
    if (b.name != path && has_key(b, key) && !(b.name.empty() && path.empty())) {
      homes.push_back(b.path_of(key));
    }
  }
  if (!homes.empty()) {
    std::string list;
    for (const std::string& h : homes) list += concat(list.empty() ? "'" : " or '", h, "'");
    return concat("did you mean ", list, "?");
  }
  if (path.empty() && std::any_of(rule_action_settings().begin(), rule_action_settings().end(),
                                  [&](const Setting<RuleActions>& a) { return a.name == key; })) {
    return concat("'", key, "' is a rule action: put it under `defaults:` for every request, "
                            "or in a rule");
  }
  return "";
}

std::vector<std::string_view> key_names(const SettingsBlock& b) {
  std::vector<std::string_view> names;
  for (const Setting<Config>& s : b.settings) names.push_back(s.name);
  return names;
}

// Reads the keys of `b` present in `section` over the defaults already in `config`; reports
// the required ones that are missing at `at`.
void read_settings(YamlReader& r, const SettingsBlock& b, const YamlReader::Section& section,
                   const Field& at, Config& config) {
  for (const Setting<Config>& s : b.settings) {
    if (const Field* f = section.find(s.name)) {
      s.read(r, *f, config);
    } else if (!s.required.empty()) {
      if (b.name.empty()) {
        r.error(at.mark, b.path_of(s.name), concat("required: ", s.required));
      } else {
        r.error(at, concat(b.name, " needs a ", s.name, ", ", s.required));
      }
    }
  }
}

// One block, from its mapping, its switch (`admin: off`) or its shorthand.
void read_block(YamlReader& r, const SettingsBlock& b, const Field& f, Config& config) {
  if (b.enabled) {
    if (YamlReader::is_off(f) || YamlReader::is_on(f)) {
      (*b.enabled)(config) = YamlReader::is_on(f);
      return;
    }
  }
  if (!f.node.IsMap() && !f.node.IsNull() && b.read_other && b.read_other(r, f, config)) return;
  YamlReader::Section s = r.section(f, key_names(b));
  if (!s.is_map()) return;
  if (b.enabled) (*b.enabled)(config) = true;
  read_settings(r, b, s, f, config);
  if (b.check) b.check(r, f, s, config);
}

std::string default_instance_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    return concat("etagd:", std::to_string(getpid()));
  }
  return concat(host, ":", std::to_string(getpid()));
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) out += concat(":", std::to_string(line), ":", std::to_string(column));
  out += severity == Severity::Error ? ": error: " : ": warning: ";
  if (!key_path.empty()) out += concat(key_path, ": ");
  out += message;
  return out;
}

LoadResult load_config_text(std::string_view yaml, const std::string& file_name) {
  YamlReader reader(file_name);
  reader.set_unknown_key_hint(unknown_key_hint);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    // e.msg is the bare message; e.what() would repeat the position in yaml-cpp's own format.
    YamlSyntaxError syntax = explain_yaml_error(yaml, e.mark, e.msg);
    reader.error(syntax.mark, "", std::move(syntax.message));
    return {nullptr, reader.take_diagnostics()};
  }

  Field top;
  top.node = root;
  top.mark = YAML::Mark();  // line 0, column 0: the start of the file
  top.key_mark = top.mark;

  auto config = std::make_shared<Config>();
  config->source_path = file_name;
  config->fleet.instance_id = default_instance_id();

  if (root.IsNull()) {
    reader.error(top.mark, "", "the file is empty; it needs at least `listen` and `upstream`");
    return {nullptr, reader.take_diagnostics()};
  }
  const std::vector<SettingsBlock>& blocks = settings_blocks();
  const SettingsBlock& top_level = blocks.front();
  std::vector<std::string_view> top_keys = key_names(top_level);
  for (const SettingsBlock& b : blocks) {
    if (!b.name.empty()) top_keys.push_back(b.name);
  }
  top_keys.insert(top_keys.end(), std::begin(kRuleKeys), std::end(kRuleKeys));
  YamlReader::Section s = reader.section(top, top_keys);
  if (!s.is_map()) return {nullptr, reader.take_diagnostics()};

  read_settings(reader, top_level, s, top, *config);
  for (const SettingsBlock& b : blocks) {
    if (b.name.empty()) continue;
    if (const Field* f = s.find(b.name)) {
      read_block(reader, b, *f, *config);
    } else if (!b.required.empty()) {
      reader.error(top.mark, std::string(b.name), concat("required: ", b.required));
    }
  }
  config->rules = read_rules(reader, s.find("defaults"), s.find("rules"));

  config->positions = reader.take_positions();
  bool failed = reader.has_errors();
  return {failed ? nullptr : std::move(config), reader.take_diagnostics()};
}

LoadResult load_config_file(const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec)) {
    Diagnostic d;
    d.file = path;
    d.message = "cannot read the file";
    if (errno != 0) d.message += std::string(": ") + std::strerror(errno);
    return {nullptr, {d}};
  }
  return load_config_text(text.str(), path);
}

}  // namespace etagd::config
