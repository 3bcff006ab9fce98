#include "cache/cache_key.h"

#include "http/accept_encoding.h"
#include "http/cookie.h"
#include "http/list_normalisation.h"

#include "http/token.h"

namespace etagd::cache {

namespace {

constexpr std::string_view kHttpsPrefix = "https://";

// RFC 9110 §4.2.3: an empty port, or the scheme's default (80 for http, 443 for https), is the
// same origin as no port at all.
std::string_view without_default_port(std::string_view host, Scheme scheme) {
  std::string_view default_port = scheme == Scheme::Https ? ":443" : ":80";
  if (host.ends_with(default_port)) {
    host.remove_suffix(default_port.size());
  } else if (host.ends_with(':')) {
    host.remove_suffix(1);
  }
  return host;
}

// A request to a reverse proxy normally has origin-form ("/path?query"); absolute-form
// ("http://host/path", RFC 9112 §3.2.2) is reduced to its path and query. Anything else
// (asterisk-form, an empty target) keys as "/".
std::string_view origin_form(std::string_view target) {
  if (target.starts_with('/')) return target;
  size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return "/";
  size_t path = target.find_first_of("/?", scheme_end + 3);
  if (path == std::string_view::npos) return "/";
  return target.substr(path);
}

// The key without its scheme part: the host starts it, and escaped host bytes never hold '/'.
std::string_view without_scheme(std::string_view url_key) {
  if (url_key.starts_with(kHttpsPrefix)) url_key.remove_prefix(kHttpsPrefix.size());
  return url_key;
}

}  // namespace

std::string make_url_key(std::string_view host, std::string_view path_and_query, Scheme scheme) {
  host = without_default_port(host, scheme);
  std::string_view target = origin_form(path_and_query);
  std::string key;
  key.reserve(kHttpsPrefix.size() + host.size() + target.size() + 1);
  if (scheme == Scheme::Https) key += kHttpsPrefix;
  for (char c : host) {
    // A valid Host has none of these (RFC 3986 reg-name); escaping them keeps the key
    // injective and keeps url_key_path() right even for a bogus Host.
    switch (c) {
      case '/':
        key += "%2f";
        break;
      case '?':
        key += "%3f";
        break;
      case '%':
        key += "%25";
        break;
      default:
        key += http::ascii_lower(c);
    }
  }
  if (target.starts_with('?')) key += '/';  // "http://h?q" has an empty path, i.e. "/"
  key += target;
  return key;
}

std::string_view url_key_path(std::string_view url_key) {
  // make_url_key escapes '/' and '?' in the host, so the path starts at the first '/' after
  // the scheme.
  url_key = without_scheme(url_key);
  size_t start = url_key.find('/');
  if (start == std::string_view::npos) return {};
  std::string_view rest = url_key.substr(start);
  return rest.substr(0, rest.find('?'));
}

std::string variant_value(const http::HeaderList& request, std::string_view field_name) {
  if (field_name.starts_with(kCookieFieldPrefix)) {
    return http::cookie_values(request, field_name.substr(kCookieFieldPrefix.size()));
  }
  if (field_name == kAcceptEncodingField) return http::accept_encoding_variant_key(request);
  std::string value = request.combined(field_name);
  if (std::optional<std::string> normal = http::normalised_list_value(field_name, value)) {
    return std::move(*normal);
  }
  return value;
}

std::string_view url_key_target(std::string_view url_key) {
  url_key = without_scheme(url_key);
  size_t start = url_key.find('/');
  if (start == std::string_view::npos) return {};
  return url_key.substr(start);
}

}  // namespace etagd::cache
