#include "config/yaml_syntax_error.h"

#include <vector>

#include "config/concat.h"

namespace etagd::config {

namespace {

std::string_view line_of(std::string_view text, int line) {
  size_t start = 0;
  for (int i = 0; i < line; ++i) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  std::string_view l = text.substr(start, end == std::string_view::npos ? end : end - start);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The key and the plain value that contain column `col` of `line`, as the operator meant them:
// the value runs from after "key: " (or '{', '[', ',', "- ") to the next ',', '}', ']', " #"
// or the end of the line; the value may itself contain the character that broke the parse.
struct KeyValue {
  std::string_view key;
  std::string_view value;
};

KeyValue around(std::string_view line, size_t col) {
  if (col > line.size()) col = line.size();
  size_t start = col;
  while (start > 0) {
    char c = line[start - 1];
    if (c == '{' || c == '[' || c == ',') break;
    if (c == ' ' && start >= 2 && (line[start - 2] == ':' || line[start - 2] == '-')) break;
    --start;
  }
  size_t end = col;
  while (end < line.size() && line[end] != ',' && line[end] != '}' && line[end] != ']' &&
         !(line[end] == '#' && end > 0 && line[end - 1] == ' ')) {
    ++end;
  }
  KeyValue kv;
  kv.value = trim(line.substr(start, end - start));
  // The key: back from the ": " before the value to the previous separator.
  if (start >= 2 && line[start - 1] == ' ' && line[start - 2] == ':') {
    size_t key_end = start - 2;
    size_t key_start = key_end;
    while (key_start > 0 && line[key_start - 1] != '{' && line[key_start - 1] != ',' &&
           line[key_start - 1] != '[' &&
           !(line[key_start - 1] == ' ' && key_start >= 2 && line[key_start - 2] == '-')) {
      --key_start;
    }
    kv.key = trim(line.substr(key_start, key_end - key_start));
  }
  return kv;
}

std::string quoted(std::string_view value) {
  if (value.find('"') == std::string_view::npos && value.find('\\') == std::string_view::npos) {
    return concat("\"", value, "\"");
  }
  std::string out = "'";
  for (char c : value) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// `key: "value"`, the line as it should have been written, or "" when there is no value.
std::string quote_fix(std::string_view line, size_t col) {
  KeyValue kv = around(line, col);
  if (kv.value.empty()) return "";
  if (kv.key.empty()) return quoted(kv.value);
  return concat(kv.key, ": ", quoted(kv.value));
}

// The innermost '{' or '[' still open at `upto`, skipping quoted strings and comments.
struct Opened {
  char bracket = 0;
  int line = 0;
  int column = 0;
};

Opened innermost_open_bracket(std::string_view text, const YAML::Mark& upto) {
  std::vector<Opened> stack;
  int line = 0, column = 0;
  char quote = 0;
  bool comment = false;
  char previous = '\n';
  for (size_t i = 0; i < text.size(); ++i) {
    if (line > upto.line || (line == upto.line && column >= upto.column)) break;
    char c = text[i];
    if (c == '\n') {
      comment = false;
      ++line;
      column = 0;
      previous = c;
      continue;
    }
    if (!comment) {
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '#' && (previous == ' ' || previous == '\t' || previous == '\n')) {
        comment = true;
      } else if (c == '"' || c == '\'') {
        if (previous == ' ' || previous == '{' || previous == '[' || previous == ',' ||
            previous == '\n' || previous == ':') {
          quote = c;
        }
      } else if (c == '{' || c == '[') {
        stack.push_back({c, line, column});
      } else if ((c == '}' || c == ']') && !stack.empty()) {
        stack.pop_back();
      }
    }
    previous = c;
    ++column;
  }
  return stack.empty() ? Opened{} : stack.back();
}

std::string position(int line, int column) {
  return concat("line ", std::to_string(line + 1), " column ", std::to_string(column + 1));
}

}  // namespace

YamlSyntaxError explain_yaml_error(std::string_view text, const YAML::Mark& mark,
                                   const std::string& parser_message) {
  YamlSyntaxError out{mark, ""};
  std::string_view line = mark.line >= 0 ? line_of(text, mark.line) : std::string_view();
  size_t col = mark.column >= 0 ? static_cast<size_t>(mark.column) : 0;
  char at = col < line.size() ? line[col] : '\0';
  std::string fix = quote_fix(line, col);
  auto with_fix = [&](std::string message) {
    if (!fix.empty()) message += concat("; quote the value: ", fix);
    return message;
  };
  const std::string& m = parser_message;
  // A tab in the indentation surfaces as several different parser errors.
  bool tab_indented = line.find_first_not_of(' ') != std::string_view::npos &&
                      line[line.find_first_not_of(' ')] == '\t';

  if (m == YAML::ErrorMsg::TAB_IN_INDENTATION ||
      (tab_indented && (m == YAML::ErrorMsg::MAP_VALUE || m == YAML::ErrorMsg::END_OF_MAP ||
                        m == YAML::ErrorMsg::END_OF_SEQ))) {
    out.mark.column = 0;
    out.message = "YAML syntax: this line is indented with a tab, and YAML indents with spaces "
                  "only; replace the tab with spaces";
  } else if (m == YAML::ErrorMsg::UNKNOWN_TOKEN) {
    std::string what;
    if (at == '?') {
      what = "'?' inside { } or [ ] is read as YAML's key marker, not as part of a value";
    } else if (at == '@' || at == '`') {
      what = concat("'", std::string(1, at), "' is reserved in YAML and cannot start a plain value");
    } else if (at == '%') {
      what = "'%' starts a YAML directive and cannot start a plain value";
    } else if (at != '\0') {
      what = concat("unexpected '", std::string(1, at), "' where YAML expected a value");
    } else {
      what = "unexpected character where YAML expected a value";
    }
    out.message = with_fix(concat("YAML syntax: ", what));
  } else if (m == YAML::ErrorMsg::END_OF_MAP_FLOW || m == YAML::ErrorMsg::END_OF_SEQ_FLOW) {
    bool map = m == YAML::ErrorMsg::END_OF_MAP_FLOW;
    Opened open = innermost_open_bracket(text, mark);
    std::string where =
        open.bracket != 0 ? concat(" opened at ", position(open.line, open.column)) : "";
    std::string message =
        concat("YAML syntax: the ", map ? "'{'" : "'['", where,
               " is not closed: YAML expected ", map ? "',' or '}'" : "',' or ']'", " here");
    if (open.line == mark.line && (at == ':' || at == '?' || at == '{' || at == '[')) {
      message = with_fix(concat(message, "; '", std::string(1, at),
                                "' cannot appear in an unquoted value inside brackets"));
    } else {
      message += "; a value inside brackets that contains ':', '?', '{', '[' or ',' must be "
                 "quoted";
    }
    out.message = std::move(message);
  } else if (m == YAML::ErrorMsg::MAP_VALUE) {
    out.message = with_fix(
        "YAML syntax: ': ' starts a mapping where none can start; if ': ' is part of the value, "
        "quote it; if this is a new key, indent it like the keys beside it");
  } else if (m == YAML::ErrorMsg::END_OF_MAP || m == YAML::ErrorMsg::END_OF_SEQ) {
    out.message = concat(
        "YAML syntax: this line's indentation does not fit the ",
        m == YAML::ErrorMsg::END_OF_MAP ? "mapping" : "list",
        " above it: YAML expected a key at the same indentation as its neighbours, or a value "
        "indented below its key");
  } else if (m == YAML::ErrorMsg::FLOW_END) {
    out.message = concat("YAML syntax: '", at != '\0' ? std::string(1, at) : std::string("}"),
                         "' closes a bracket that was never opened");
  } else if (m == YAML::ErrorMsg::UNKNOWN_ANCHOR || m == YAML::ErrorMsg::ALIAS_NOT_FOUND) {
    out.message = with_fix(
        "YAML syntax: a value starting with '*' is an alias in YAML (a reference to an "
        "&anchor), and no anchor of that name is defined; a value such as *.example.com must be "
        "quoted");
  } else if (m == YAML::ErrorMsg::ANCHOR_NOT_FOUND) {
    out.message = with_fix(
        "YAML syntax: a value starting with '&' defines an anchor in YAML; a value that starts "
        "with '&' must be quoted");
  } else {
    out.message = concat("YAML syntax: ", m,
                         "; if a value contains one of : ? { } [ ] , # & * ! | > ' \" % @ `, put "
                         "it in quotes");
    if (!fix.empty() && at != '\0' && at != ' ') out.message += concat(", e.g. ", fix);
  }
  return out;
}

}  // namespace etagd::config
