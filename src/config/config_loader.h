// Reads a YAML config file into a validated Config. Every problem is reported, not only the
// first, each naming file, line, column and the key's path (`rules[3].match.path`), in the form
//   etagd.yaml:12:7: error: rules[3].match.path: must start with '/'
// Unknown keys are errors. Warnings (a rule shadowed by an earlier one) do not fail the load.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace etagd::config {

struct Diagnostic {
  enum class Severity { Warning, Error };
  Severity severity = Severity::Error;
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no position (file unreadable)
  int column = 0;  // 1-based
  std::string key_path;
  std::string message;
  std::string to_string() const;  // "file:line:column: error: key.path: message"
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when any error was found
  std::vector<Diagnostic> diagnostics;   // errors and warnings, in file order
  bool ok() const { return config != nullptr; }
};

LoadResult load_config_file(const std::string& path);
// Same, from text; `file_name` is used in messages only.
LoadResult load_config_text(std::string_view yaml, const std::string& file_name);

// Settings a running process cannot change without a restart (listen, workers, cache size...):
// one human-readable line per difference, e.g. "listen: changed (restart etagd to apply)".
// Compared: the rows of settings_table.h marked Apply::Restart, and switching admin or fleet
// on or off. Everything else takes effect for the next request.
std::vector<std::string> restart_required_changes(const Config& running, const Config& loaded);

}  // namespace etagd::config
