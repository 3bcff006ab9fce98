#include "proxy/cache_variant.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "cache/cache_key.h"
#include "http/token.h"

namespace etagd::proxy {

namespace {

constexpr std::array<std::string_view, 13> kOverrideFields = {
    "x-forwarded-host",   "x-host",          "x-forwarded-server", "x-forwarded-scheme",
    "x-forwarded-port",   "x-forwarded-prefix", "forwarded",       "x-original-url",
    "x-rewrite-url",      "x-http-method-override", "x-http-method", "x-method-override",
    "x-original-host"};
static_assert(std::all_of(kOverrideFields.begin(), kOverrideFields.end(),
                          [](std::string_view n) { return n[0] == 'x' || n[0] == 'f'; }),
              "override_fields_present() looks only at names that start with x or f");

bool has_field(const std::vector<cache::VaryField>& fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const cache::VaryField& f) { return f.name == name; });
}

// Which of kOverrideFields the request carries, a bit each (in kOverrideFields' order): one
// pass over its fields, most of which start with neither x nor f, instead of a lookup per name.
uint32_t override_fields_present(const http::HeaderList& headers) {
  static_assert(kOverrideFields.size() <= 32);
  uint32_t present = 0;
  for (const http::HeaderField& f : headers) {
    char first = f.name.empty() ? '\0' : http::ascii_lower(f.name[0]);
    if (first != 'x' && first != 'f') continue;
    for (size_t i = 0; i < kOverrideFields.size(); ++i) {
      if (http::iequals(f.name, kOverrideFields[i])) present |= uint32_t{1} << i;
    }
  }
  return present;
}

// key_headers and key_cookies always (absent counts as ""), override fields only when present.
template <typename Fn>
void for_each_request_key(const http::RequestHead& request, const config::RuleActions& actions,
                          Fn&& fn) {
  // The value matches_variant() compares against: normalised where the syntax is known.
  for (const std::string& name : actions.key_headers) {
    fn(name, cache::variant_value(request.headers, name));
  }
  for (const std::string& cookie : actions.key_cookies) {
    std::string field = std::string(cache::kCookieFieldPrefix) + cookie;
    fn(field, cache::variant_value(request.headers, field));
  }
  uint32_t present = override_fields_present(request.headers);
  for (size_t i = 0; present != 0 && i < kOverrideFields.size(); ++i) {
    if ((present & (uint32_t{1} << i)) == 0) continue;
    std::string_view name = kOverrideFields[i];
    bool keyed = std::find(actions.key_headers.begin(), actions.key_headers.end(), name) !=
                 actions.key_headers.end();
    if (!keyed) fn(name, request.headers.combined(name));
  }
}

}  // namespace

std::vector<cache::VaryField> response_variant(const http::RequestHead& request,
                                               const config::RuleActions& actions,
                                               const http::HeaderList& response_headers) {
  std::vector<cache::VaryField> fields;
  for_each_request_key(request, actions, [&](std::string_view name, std::string value) {
    fields.push_back({std::string(name), std::move(value)});
  });
  for (const http::HeaderField& f : response_headers) {
    if (!http::iequals(f.name, "vary")) continue;
    http::for_each_list_member(f.value, [&](std::string_view member) {
      std::string name = http::lowercase(member);
      if (!has_field(fields, name)) fields.push_back({name, cache::variant_value(request.headers, name)});
      return true;
    });
  }
  return fields;
}

std::string coalescing_key(std::string_view url_key, const http::RequestHead& request,
                           const config::RuleActions& actions) {
  std::string key(url_key);
  for_each_request_key(request, actions, [&](std::string_view name, const std::string& value) {
    key += '\n';
    key += name;
    key += ':';
    key += value;
  });
  return key;
}

}  // namespace etagd::proxy
