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
#include "config/unknown_key_hint.h"
#include "config/yaml_reader.h"
#include "config/yaml_syntax_error.h"

namespace etagd::config {

namespace {

// Directives ended by ';' or blocks in braces, which YAML reads as one long string: `listen
// 8080; location / { ... }`.
bool looks_like_nginx(std::string_view text) {
  return text.find(';') != std::string_view::npos || text.find('{') != std::string_view::npos;
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
  if (root.IsScalar() && looks_like_nginx(root.Scalar())) {
    reader.error(top.mark, "",
                 "this looks like an nginx configuration; etagd's is YAML, one `key: value` a "
                 "line, e.g. listen: 8080 and upstream: http://127.0.0.1:9000 (conf/etagd.yaml "
                 "shows every key)");
    return {nullptr, reader.take_diagnostics()};
  }
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
