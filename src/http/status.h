// Status codes (RFC 9110 §15).
#pragma once

#include <string_view>

namespace etagd::http {

// The reason phrase etagd sends for a status code ("Not Modified"); "Unknown" if none.
std::string_view reason_phrase(int status);

// RFC 9111 §3 / RFC 9110 §15.1: codes a cache may store by default (heuristically cacheable):
// 200 203 204 206 300 301 308 404 405 410 414 501.
bool is_heuristically_cacheable(int status);

}  // namespace etagd::http
