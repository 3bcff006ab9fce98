// Structured Field Dictionary parser (RFC 8941 §3.2, parsing per §4.2.2), enough for
// dictionaries of cache directives (RFC 9213 §2.1): every member is validated in full, so an
// invalid field is rejected whole, as §4.2 requires; parameters are parsed and then dropped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace etagd::http {

struct DictionaryMember {
  // The bare item types of §3.3. Decimal, ByteSequence and InnerList are validated but their
  // values are not kept: no cache directive takes them.
  enum class Type { Integer, Decimal, String, Token, ByteSequence, Boolean, InnerList };
  std::string_view key;  // lowercase by §3.2's grammar
  Type type = Type::Boolean;
  int64_t integer = 0;     // Type::Integer
  bool boolean = true;     // Type::Boolean; a member without "=" is the Boolean true (§3.2)
  std::string_view token;  // Type::Token
  std::string string;      // Type::String, with its escapes resolved
};

// Parses a Dictionary field value (several field lines joined with ", " first, §4.2) into
// `out`, later members with a key already seen replacing the earlier one (§4.2.2). Returns
// false, with `out` cleared, when the value is not a valid Dictionary. Members view `value`.
bool parse_structured_dictionary(std::string_view value, std::vector<DictionaryMember>& out);

}  // namespace etagd::http
