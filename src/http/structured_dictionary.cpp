#include "http/structured_dictionary.h"

#include "http/token.h"

namespace etagd::http {

namespace {

bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return is_lcalpha(c) || (c >= 'A' && c <= 'Z'); }

// A cursor over the field value; every parse step consumes from the front (§4.2).
struct Input {
  std::string_view s;
  size_t pos = 0;

  bool empty() const { return pos >= s.size(); }
  char peek() const { return empty() ? '\0' : s[pos]; }
  void skip_sp() {
    while (!empty() && s[pos] == ' ') ++pos;
  }
  void skip_ows() {
    while (!empty() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  }
};

// §4.2.3.3: key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
bool parse_key(Input& in, std::string_view& key) {
  char c = in.peek();
  if (!is_lcalpha(c) && c != '*') return false;
  size_t start = in.pos;
  while (!in.empty()) {
    c = in.peek();
    if (!is_lcalpha(c) && !is_digit(c) && c != '_' && c != '-' && c != '.' && c != '*') break;
    ++in.pos;
  }
  key = in.s.substr(start, in.pos - start);
  return true;
}

// §4.2.4: an Integer has at most 15 digits, a Decimal at most 12 before and 3 after the dot.
bool parse_number(Input& in, DictionaryMember& m) {
  bool negative = false;
  if (in.peek() == '-') {
    negative = true;
    ++in.pos;
  }
  if (!is_digit(in.peek())) return false;
  int64_t value = 0;
  size_t digits = 0;
  size_t dot_at = 0;  // digits before the dot; 0 while no dot was seen
  bool decimal = false;
  while (!in.empty()) {
    char c = in.peek();
    if (is_digit(c)) {
      value = value * 10 + (c - '0');
      ++digits;
    } else if (c == '.' && !decimal) {
      if (digits > 12) return false;
      decimal = true;
      dot_at = digits;
    } else {
      break;
    }
    ++in.pos;
    if (!decimal && digits > 15) return false;
    if (decimal && digits > 15) return false;
  }
  if (decimal) {
    size_t fraction = digits - dot_at;
    if (fraction == 0 || fraction > 3) return false;  // "1." is invalid
    m.type = DictionaryMember::Type::Decimal;
    return true;
  }
  m.type = DictionaryMember::Type::Integer;
  m.integer = negative ? -value : value;
  return true;
}

// §4.2.5: DQUOTE *( unescaped / "%" / "\" ( DQUOTE / "\" ) ) DQUOTE, printable ASCII only.
bool parse_string(Input& in, std::string& out) {
  ++in.pos;  // the opening DQUOTE
  out.clear();
  while (!in.empty()) {
    char c = in.s[in.pos++];
    if (c == '\\') {
      if (in.empty()) return false;
      char next = in.s[in.pos++];
      if (next != '"' && next != '\\') return false;
      out.push_back(next);
    } else if (c == '"') {
      return true;
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      return false;
    } else {
      out.push_back(c);
    }
  }
  return false;  // no closing DQUOTE
}

// §4.2.6: ( ALPHA / "*" ) *( tchar / ":" / "/" )
void parse_token(Input& in, std::string_view& token) {
  size_t start = in.pos++;
  while (!in.empty()) {
    char c = in.peek();
    if (!is_token_char(static_cast<unsigned char>(c)) && c != ':' && c != '/') break;
    ++in.pos;
  }
  token = in.s.substr(start, in.pos - start);
}

// §4.2.7: ":" *base64 ":"; the content is checked against the base64 alphabet only.
bool parse_byte_sequence(Input& in) {
  ++in.pos;
  while (!in.empty()) {
    char c = in.s[in.pos++];
    if (c == ':') return true;
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '/' && c != '=') return false;
  }
  return false;
}

// §4.2.3.1: bare item, dispatched on its first character.
bool parse_bare_item(Input& in, DictionaryMember& m) {
  char c = in.peek();
  if (c == '-' || is_digit(c)) return parse_number(in, m);
  if (c == '"') {
    m.type = DictionaryMember::Type::String;
    return parse_string(in, m.string);
  }
  if (is_alpha(c) || c == '*') {
    m.type = DictionaryMember::Type::Token;
    parse_token(in, m.token);
    return true;
  }
  if (c == ':') {
    m.type = DictionaryMember::Type::ByteSequence;
    return parse_byte_sequence(in);
  }
  if (c == '?') {
    ++in.pos;
    char b = in.peek();
    if (b != '0' && b != '1') return false;
    ++in.pos;
    m.type = DictionaryMember::Type::Boolean;
    m.boolean = b == '1';
    return true;
  }
  return false;
}

// §4.2.3.2: *( ";" *SP key [ "=" bare-item ] ), validated and dropped.
bool parse_parameters(Input& in) {
  while (in.peek() == ';') {
    ++in.pos;
    in.skip_sp();
    std::string_view key;
    if (!parse_key(in, key)) return false;
    if (in.peek() == '=') {
      ++in.pos;
      DictionaryMember ignored;
      if (!parse_bare_item(in, ignored)) return false;
    }
  }
  return true;
}

// §4.2.1.2: "(" *SP [ item *( 1*SP item ) *SP ] ")" parameters
bool parse_inner_list(Input& in) {
  ++in.pos;
  while (!in.empty()) {
    in.skip_sp();
    if (in.peek() == ')') {
      ++in.pos;
      return parse_parameters(in);
    }
    DictionaryMember ignored;
    if (!parse_bare_item(in, ignored) || !parse_parameters(in)) return false;
    char c = in.peek();
    if (c != ' ' && c != ')') return false;
  }
  return false;
}

bool parse_members(Input& in, std::vector<DictionaryMember>& out) {
  in.skip_sp();  // §4.2: leading SP is discarded
  while (!in.empty()) {
    DictionaryMember m;
    if (!parse_key(in, m.key)) return false;
    if (in.peek() == '=') {
      ++in.pos;
      if (in.peek() == '(') {
        m.type = DictionaryMember::Type::InnerList;
        if (!parse_inner_list(in)) return false;
      } else if (!parse_bare_item(in, m) || !parse_parameters(in)) {
        return false;
      }
    } else if (!parse_parameters(in)) {
      return false;
    }
    bool replaced = false;
    for (DictionaryMember& seen : out) {
      if (seen.key == m.key) {
        seen = std::move(m);
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(std::move(m));

    in.skip_ows();
    if (in.empty()) return true;
    if (in.peek() != ',') return false;
    ++in.pos;
    in.skip_ows();
    if (in.empty()) return false;  // a trailing comma
  }
  return true;
}

}  // namespace

bool parse_structured_dictionary(std::string_view value, std::vector<DictionaryMember>& out) {
  out.clear();
  // §4.2: trailing SP is discarded with the leading SP; anything left over fails the parse.
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  Input in{value};
  if (!parse_members(in, out)) {
    out.clear();
    return false;
  }
  return true;
}

}  // namespace etagd::http
