#include "config/yaml_reader.h"

#include <algorithm>

#include "config/concat.h"
#include "config/size_and_duration.h"
#include "http/token.h"

namespace etagd::config {

namespace {

bool has_position(const YAML::Mark& m) { return m.line >= 0 && m.column >= 0; }

// Edits between two words, counting a swap of neighbours as one ("cahce"), without case.
// Optimal string alignment distance; the words are config keys, so a full table is cheap.
size_t edit_distance(std::string_view a, std::string_view b) {
  auto same = [](char x, char y) { return http::ascii_lower(x) == http::ascii_lower(y); };
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

}  // namespace

std::string_view describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

void YamlReader::error(const YAML::Mark& mark, std::string path, std::string message) {
  Diagnostic d;
  d.severity = Diagnostic::Severity::Error;
  d.file = file_;
  d.line = has_position(mark) ? mark.line + 1 : 0;
  d.column = has_position(mark) ? mark.column + 1 : 0;
  d.key_path = std::move(path);
  d.message = std::move(message);
  diagnostics_.push_back(std::move(d));
  ++errors_;
}

void YamlReader::error(const Field& f, std::string message) {
  // `listen: 8080;` is how an nginx user ends a line; in YAML the ';' is part of the value.
  if (f.node.IsScalar() && f.node.Scalar().ends_with(';')) {
    message += "; remove the ';' at the end: a YAML value ends with its line (nginx's "
               "directives end with ';')";
  }
  error(f.mark, f.path, std::move(message));
}

void YamlReader::warning(const YAML::Mark& mark, std::string path, std::string message) {
  error(mark, std::move(path), std::move(message));
  diagnostics_.back().severity = Diagnostic::Severity::Warning;
  --errors_;
}

bool YamlReader::has_error_within(std::string_view path) const {
  return std::any_of(diagnostics_.begin(), diagnostics_.end(), [&](const Diagnostic& d) {
    if (d.severity != Diagnostic::Severity::Error || !d.key_path.starts_with(path)) return false;
    if (d.key_path.size() == path.size()) return true;
    char next = d.key_path[path.size()];
    return next == '.' || next == '[';
  });
}

bool YamlReader::any_failed(const Section& s, std::initializer_list<std::string_view> keys) const {
  return std::any_of(keys.begin(), keys.end(), [&](std::string_view key) {
    const Field* f = s.find(key);
    return f != nullptr && has_error_within(f->path);
  });
}

std::vector<Diagnostic> YamlReader::take_diagnostics() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                   });
  return std::move(diagnostics_);
}

Field YamlReader::child(const Field& map, const YAML::Node& key, const YAML::Node& value,
                        std::string_view key_text) {
  Field f;
  f.node = value;
  f.key = std::string(key_text);
  f.path = map.path.empty() ? f.key : concat(map.path, ".", f.key);
  f.key_mark = has_position(key.Mark()) ? key.Mark() : map.mark;
  // An empty value (`match:`) is positioned by yaml-cpp at the next token, often the next
  // line; the key is where the reader will look.
  f.mark = (value.IsNull() || !has_position(value.Mark())) ? f.key_mark : value.Mark();
  return f;
}

Field YamlReader::item(const Field& seq, const YAML::Node& value, size_t index) {
  Field f;
  f.node = value;
  f.path = concat(seq.path, "[", std::to_string(index), "]");
  f.key_mark = seq.mark;
  f.mark = (value.IsNull() || !has_position(value.Mark())) ? seq.mark : value.Mark();
  return f;
}

std::optional<std::string_view> YamlReader::closest(
    std::string_view word, const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  size_t best_distance = 0;
  for (std::string_view c : candidates) {
    size_t d = edit_distance(word, c);
    // Within a third of the word: "client_haeder" finds client_header, "ttl" does not find "etag".
    if (d > std::max<size_t>(1, c.size() / 3)) continue;
    if (!best || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string YamlReader::unknown_word_message(std::string_view word,
                                             const std::vector<std::string_view>& candidates) {
  std::string msg = concat("'", word, "' is not one of: ", join(candidates));
  if (auto near = closest(word, candidates)) msg += concat("; did you mean '", *near, "'?");
  return msg;
}

const Field* YamlReader::Section::find(std::string_view key) const {
  for (const auto& [k, f] : by_key_) {
    if (k == key) return &f;
  }
  return nullptr;
}

YamlReader::Section YamlReader::section(const Field& f,
                                        std::initializer_list<std::string_view> known) {
  std::vector<std::string_view> names(known);
  return read_map(f, &names, false);
}

YamlReader::Section YamlReader::section(const Field& f,
                                        const std::vector<std::string_view>& known) {
  return read_map(f, &known, false);
}

YamlReader::Section YamlReader::open_map(const Field& f, bool fold_case) {
  return read_map(f, nullptr, fold_case);
}

YamlReader::Section YamlReader::read_map(const Field& f, const std::vector<std::string_view>* known,
                                         bool fold_case) {
  Section s;
  // `timeouts:` with every line below it commented out means "all defaults", not a mistake.
  if (f.node.IsNull()) {
    s.is_map_ = true;
    return s;
  }
  if (!f.node.IsMap()) {
    error(f, concat("expected a mapping of settings, found ", describe_node(f.node)));
    return s;
  }
  s.is_map_ = true;
  for (const auto& kv : f.node) {
    const YAML::Node& key = kv.first;
    if (!key.IsScalar()) {
      error(has_position(key.Mark()) ? key.Mark() : f.mark, f.path, "keys must be plain words");
      continue;
    }
    const std::string& name = key.Scalar();
    Field entry = child(f, key, kv.second, name);
    if (known != nullptr && std::find(known->begin(), known->end(), name) == known->end()) {
      std::string msg = concat("unknown key '", name, "'");
      if (auto near = closest(name, *known)) {
        msg += concat("; did you mean '", *near, "'?");
      } else if (std::string hint = unknown_key_hint_ ? unknown_key_hint_(f.path, name) : "";
                 !hint.empty()) {
        msg += concat("; ", hint);
      } else if (kv.second.IsNull() && f.node.Style() == YAML::EmitterStyle::Flow) {
        // `{ 2xx: max-age=60, must-revalidate }`: the comma ended the value.
        msg += "; inside { } a comma ends a value: quote a value that contains commas, e.g. "
               "\"max-age=60, must-revalidate\"";
      }
      error(entry.key_mark, entry.path, std::move(msg));
      continue;
    }
    // yaml-cpp keeps both entries of a repeated key and find() would silently take one.
    bool duplicate = std::any_of(s.by_key_.begin(), s.by_key_.end(), [&](const auto& other) {
      return fold_case ? http::iequals(other.first, name) : other.first == name;
    });
    if (duplicate) {
      error(entry.key_mark, entry.path, concat("'", name, "' is given twice"));
      continue;
    }
    positions_[entry.path] = {entry.mark.line + 1, entry.mark.column + 1};
    s.by_key_.emplace_back(name, entry);
    s.entries_.push_back(std::move(entry));
  }
  return s;
}

std::optional<std::vector<Field>> YamlReader::list(const Field& f) {
  if (f.node.IsScalar()) return std::vector<Field>{f};
  if (!f.node.IsSequence()) {
    error(f, concat("expected a list, found ", describe_node(f.node)));
    return std::nullopt;
  }
  std::vector<Field> items;
  size_t i = 0;
  for (const auto& value : f.node) {
    items.push_back(item(f, value, i++));
    positions_[items.back().path] = {items.back().mark.line + 1, items.back().mark.column + 1};
  }
  return items;
}

std::optional<std::string> YamlReader::string(const Field& f) {
  if (!f.node.IsScalar()) {
    error(f, concat("expected a single value, found ", describe_node(f.node)));
    return std::nullopt;
  }
  return f.node.Scalar();
}

std::optional<uint64_t> YamlReader::integer(const Field& f, uint64_t min, uint64_t max) {
  std::optional<std::string> s = string(f);
  if (!s) return std::nullopt;
  // parse_size with no suffix is exactly "digits that fit in 64 bits".
  std::optional<uint64_t> n =
      s->find_first_not_of("0123456789") == std::string::npos ? parse_size(*s) : std::nullopt;
  if (!n) {
    error(f, concat("'", *s, "' is not a whole number"));
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    error(f, concat(std::to_string(*n), " is out of range (", std::to_string(min), " to ",
                    std::to_string(max), ")"));
    return std::nullopt;
  }
  return n;
}

bool YamlReader::is_off_word(std::string_view s) {
  return http::iequals(s, "off") || http::iequals(s, "false");
}

bool YamlReader::is_on_word(std::string_view s) {
  return http::iequals(s, "on") || http::iequals(s, "true");
}

std::optional<bool> YamlReader::on_off(const Field& f) {
  std::optional<std::string> s = string(f);
  if (!s) return std::nullopt;
  if (is_on_word(*s)) return true;
  if (is_off_word(*s)) return false;
  error(f, concat("expected on or off (true or false), found '", *s, "'"));
  return std::nullopt;
}

std::optional<Duration> YamlReader::duration(const Field& f) {
  std::optional<std::string> s = string(f);
  if (!s) return std::nullopt;
  std::optional<Duration> d = parse_duration(*s);
  if (!d) {
    error(f, concat("'", *s,
                    "' is not a duration; write a whole number with a unit: 250ms, 60s, 5m, 2h, "
                    "1d, or a sum of them, largest first: 1m30s, 1h30m"));
  }
  return d;
}

std::optional<uint64_t> YamlReader::size(const Field& f) {
  std::optional<std::string> s = string(f);
  if (!s) return std::nullopt;
  std::optional<uint64_t> n = parse_size(*s);
  if (!n) {
    error(f, concat("'", *s,
                    "' is not a size; write a whole number of bytes or with a unit: 512, 16KiB, "
                    "256MiB, 1GiB"));
  }
  return n;
}

}  // namespace etagd::config
