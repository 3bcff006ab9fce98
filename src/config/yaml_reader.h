// Internal to the config loader: walks a parsed YAML document and turns every problem into a
// Diagnostic that names the key's path and position, then carries on, so that one run reports
// every mistake in the file (`nginx -t` style) instead of the first.
//
// Convention: a getter returns nullopt after reporting an error; callers simply keep the
// default and move on. Whether the whole load failed is decided once, at the end.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/config_loader.h"

namespace etagd::config {

// A value in the document with what is needed to talk about it.
struct Field {
  YAML::Node node;
  std::string path;  // "rules[3].match.path"
  std::string key;   // the last step of the path as written: "path", or "" for a list item
  YAML::Mark mark;   // the value's position, or its key's when the value is empty
  YAML::Mark key_mark;
};

class YamlReader {
 public:
  explicit YamlReader(std::string file_name) : file_(std::move(file_name)) {}

  void error(const YAML::Mark& mark, std::string path, std::string message);
  void warning(const YAML::Mark& mark, std::string path, std::string message);
  // With a hint when the value ends in ';', as nginx's directives do.
  void error(const Field& f, std::string message);
  void warning(const Field& f, std::string message) { warning(f.mark, f.path, std::move(message)); }

  bool has_errors() const { return errors_ > 0; }
  // Whether an error was reported at `path` or inside it ("rules[2]" covers "rules[2].ttl").
  // A check across keys asks before it speaks: after an error the key holds its default, and
  // a warning quoting that would describe a value the file does not give.
  bool has_error_within(std::string_view path) const;
  // Every key and list item read so far, by path (Config::positions).
  std::map<std::string, SourcePosition, std::less<>> take_positions() {
    return std::move(positions_);
  }
  // In file order; a problem without a position (unreadable file) first.
  std::vector<Diagnostic> take_diagnostics();

  // A mapping's entries whose keys are among `known`. Unknown keys (with a suggestion when one
  // is close), duplicate keys and non-mappings are reported. `what` describes the mapping for
  // the type error ("the `timeouts` block").
  class Section {
   public:
    bool is_map() const { return is_map_; }
    const Field* find(std::string_view key) const;
    const std::vector<Field>& entries() const { return entries_; }

   private:
    friend class YamlReader;
    bool is_map_ = false;
    std::vector<std::pair<std::string, Field>> by_key_;
    std::vector<Field> entries_;
  };
  Section section(const Field& f, std::initializer_list<std::string_view> known);
  // Asked when a key is unknown and no key of its own mapping is close: `access_log` at the
  // top level belongs in `log`. Gets the mapping's path ("" for the top level) and the key;
  // returns the hint to append ("did you mean 'log.access_log'?"), or "" for none.
  using UnknownKeyHint = std::function<std::string(std::string_view path, std::string_view key)>;
  void set_unknown_key_hint(UnknownKeyHint hint) { unknown_key_hint_ = std::move(hint); }
  Section section(const Field& f, const std::vector<std::string_view>& known);
  // Every key accepted (e.g. header names under `set:`); only duplicates and type are checked.
  // Duplicate keys compare without case when `fold_case` (HTTP field names).
  Section open_map(const Field& f, bool fold_case);
  // Whether reading one of `keys` given in `s` reported an error: checks across keys ask this
  // and stay silent (see has_error_within).
  bool any_failed(const Section& s, std::initializer_list<std::string_view> keys) const;

  // The items of a sequence; a single scalar counts as a one-item list, since `methods: GET`
  // can only mean one thing.
  std::optional<std::vector<Field>> list(const Field& f);

  std::optional<std::string> string(const Field& f);
  std::optional<uint64_t> integer(const Field& f, uint64_t min, uint64_t max);
  std::optional<Duration> duration(const Field& f);
  std::optional<uint64_t> size(const Field& f);

  // One of a fixed set of words, e.g. store | validate | bypass.
  template <typename T>
  std::optional<T> choice(const Field& f,
                          std::initializer_list<std::pair<std::string_view, T>> words) {
    std::optional<std::string> s = string(f);
    if (!s) return std::nullopt;
    for (const auto& [word, value] : words) {
      if (*s == word) return value;
    }
    std::vector<std::string_view> names;
    for (const auto& w : words) names.push_back(w.first);
    error(f, unknown_word_message(*s, names));
    return std::nullopt;
  }

  // A switch: `on`/`true` or `off`/`false` (any case). The two spellings are one word here
  // because tools that write YAML 1.1, Ansible's templates among them, turn an unquoted `off`
  // into `false` and `on` into `true`.
  std::optional<bool> on_off(const Field& f);
  static bool is_off_word(std::string_view s);
  static bool is_on_word(std::string_view s);
  // True when `f` is a scalar `off`/`false`.
  static bool is_off(const Field& f) { return f.node.IsScalar() && is_off_word(f.node.Scalar()); }
  static bool is_on(const Field& f) { return f.node.IsScalar() && is_on_word(f.node.Scalar()); }

  // "'x' is not one of: a, b, c" plus "; did you mean 'b'?" when one is close.
  static std::string unknown_word_message(std::string_view word,
                                          const std::vector<std::string_view>& candidates);
  // The candidate closest to `word` by edit distance, if close enough to be a likely typo.
  static std::optional<std::string_view> closest(std::string_view word,
                                                 const std::vector<std::string_view>& candidates);

  // Child fields.
  static Field child(const Field& map, const YAML::Node& key, const YAML::Node& value,
                     std::string_view key_text);
  static Field item(const Field& seq, const YAML::Node& value, size_t index);

 private:
  Section read_map(const Field& f, const std::vector<std::string_view>* known, bool fold_case);

  std::string file_;
  UnknownKeyHint unknown_key_hint_;
  std::vector<Diagnostic> diagnostics_;
  std::map<std::string, SourcePosition, std::less<>> positions_;
  int errors_ = 0;
};

// Human name of a node's type for messages: "a list", "a mapping", "a string", "nothing".
std::string_view describe_node(const YAML::Node& node);

}  // namespace etagd::config
