// Cache keys. The primary key of a response is its URL: lowercased host without a default
// port, then path and query as sent ("api.example.com/items?page=2"). A request received on a
// TLS listener keys under "https://" in front ("https://api.example.com/items?page=2"): http and
// https URLs are different resources (RFC 9110 §4.2.2), so one never answers for the other.
// Responses at one URL that differ by request headers (key_headers, Vary) are variants under
// that key (cache_entry.h).
#pragma once

#include <string>
#include <string_view>

#include "http/header_list.h"

namespace etagd::cache {

// The scheme the client used to reach etagd: the listener's.
enum class Scheme { Http, Https };

// host: the request's Host value (any case, with or without ":port"); target: path?query.
// The host is lowercased, the scheme's default port (":80", ":443") or an empty port is
// dropped, and the bytes '/', '?', '%' (never in a valid Host) are percent-escaped so two
// different hosts never make the same key. The target is kept byte for byte; an absolute-form
// target ("http://h/p?q") keys by its "/p?q", and an empty or asterisk-form target keys as "/".
// Plain http keys carry no scheme (the keys etagd has always used); https keys start "https://",
// which no http key can (a valid Host has no "//" after its ':').
std::string make_url_key(std::string_view host, std::string_view path_and_query,
                         Scheme scheme = Scheme::Http);
// The path part (no query) of a key made by make_url_key, either scheme: what
// invalidate_prefix matches.
std::string_view url_key_path(std::string_view url_key);
// The target part (path and query) of a key made by make_url_key, either scheme: what
// purge_target matches.
std::string_view url_key_target(std::string_view url_key);

// A variant field (cache_entry.h VaryField) named "cookie:<name>" keys on one cookie's value
// rather than on a whole header field: a rule's key_cookies. No real field name can collide
// with it, since ':' never occurs in a field name.
inline constexpr std::string_view kCookieFieldPrefix = "cookie:";

// A response that varies on Accept-Encoding is stored under the canonical set of codings the
// request accepts (http/accept_encoding.h variant_key), never the raw field: "gzip, deflate,
// br" and "br, deflate, gzip" accept the same and share one entry.
inline constexpr std::string_view kAcceptEncodingField = "accept-encoding";

// The request's value for a variant field: the named cookie's values (http/cookie.h) for a
// "cookie:" field, else the field's combined value (RFC 9110 §5.3), normalised by its syntax
// where etagd knows it (http/list_normalisation.h: Accept, Accept-Language, Accept-Charset).
std::string variant_value(const http::HeaderList& request, std::string_view field_name);

}  // namespace etagd::cache
