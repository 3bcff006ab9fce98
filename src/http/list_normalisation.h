// Normalising the value of a request field whose syntax etagd knows, for matching a stored
// variant (RFC 9111 §4.1: a cache may normalise header fields by their syntax before
// comparing them). "en-US,en;q=0.8" and "en-us, en; q=0.8" ask for the same thing and should
// share one variant; a field whose syntax etagd does not know is compared as sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace etagd::http {

// For Accept, Accept-Charset and Accept-Language (`name` lowercase): the list with every
// member trimmed, whitespace around ';' and '=' removed, members joined by ",", and the parts
// that are case-insensitive lowercased (language tags and charsets whole, RFC 4647 §2 and RFC
// 9110 §12.5.2; a media range and parameter names, RFC 9110 §8.3.1). A member with a quoted
// string is kept as it is, trimmed. nullopt for any other field.
std::optional<std::string> normalised_list_value(std::string_view name, std::string_view value);

// True for the fields normalised_list_value() knows (`name` lowercase).
bool has_list_normalisation(std::string_view name);

}  // namespace etagd::http
