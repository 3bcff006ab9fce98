// Internal to the config loader: turns a YAML parse failure into a message an operator can act
// on. yaml-cpp says "unknown token" or "end of map flow not found"; the operator needs to know
// which character broke the document, what YAML expected there, and, most often, that the
// value only needed quotes (`host: *.example.com`, `prefix: /a?b` inside `{ }`).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace etagd::config {

struct YamlSyntaxError {
  YAML::Mark mark;      // where to point: the offending character, or the unclosed bracket
  std::string message;  // "YAML syntax: ..." with what was expected and a hint
};

// `text` is the whole document, `mark` and `parser_message` what YAML::Exception carried.
YamlSyntaxError explain_yaml_error(std::string_view text, const YAML::Mark& mark,
                                   const std::string& parser_message);

}  // namespace etagd::config
