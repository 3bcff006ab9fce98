// Cache keys. The primary key of a response is its URL: lowercased host without a default
// port, then path and query as sent ("api.example.com/items?page=2"). Responses at one URL that
// differ by request headers (key_headers, Vary) are variants under that key (cache_entry.h).
#pragma once

#include <string>
#include <string_view>

namespace etagd::cache {

// host: the request's Host value (any case, with or without ":port"); target: path?query.
// The host is lowercased, ":80" or an empty port is dropped, and the bytes '/', '?', '%' (never
// in a valid Host) are percent-escaped so two different hosts never make the same key. The
// target is kept byte for byte; an absolute-form target ("http://h/p?q") keys by its "/p?q",
// and an empty or asterisk-form target keys as "/".
std::string make_url_key(std::string_view host, std::string_view path_and_query);
// The path part (no query) of a key made by make_url_key: what invalidate_prefix matches.
std::string_view url_key_path(std::string_view url_key);

}  // namespace etagd::cache
