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
  // Null when any error was found. Not yet const: a reload adjusts it (keep_running_settings)
  // before it is published.
  std::shared_ptr<Config> config;
  std::vector<Diagnostic> diagnostics;   // errors and warnings, in file order
  bool ok() const { return config != nullptr; }
};

LoadResult load_config_file(const std::string& path);
// Same, from text; `file_name` is used in messages only.
LoadResult load_config_text(std::string_view yaml, const std::string& file_name);

// Turns `loaded` into the configuration a reload puts in force: every setting needing a
// restart keeps its running value (a block switched on or off needing a restart keeps the
// running block whole). Each such setting whose file value differs is listed in
// `pending_restart` with that value, so /config shows what runs and what waits; a file
// reverted to the running value leaves nothing pending. Compared: the rows of settings_table.h
// marked Apply::Restart, and switching admin or fleet on or off; everything else takes effect
// for the next request.
void keep_running_settings(const Config& running, Config& loaded);

}  // namespace etagd::config
