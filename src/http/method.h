// Request methods (RFC 9110 §9). Methods etagd does not know are `Other`:
// they are forwarded, never cached, and treated as unsafe (RFC 9111 §4.4).
#pragma once

#include <cstdint>
#include <string_view>

namespace etagd::http {

enum class Method : uint8_t { Get, Head, Post, Put, Patch, Delete, Options, Trace, Connect, Other };

inline constexpr int kMethodCount = 10;

// Method tokens are case-sensitive (RFC 9110 §9.1): "get" is Other.
Method parse_method(std::string_view token);
std::string_view method_name(Method m);  // "GET"...; "OTHER" for Other

// RFC 9110 §9.2.1: GET, HEAD, OPTIONS, TRACE.
bool is_safe(Method m);
// RFC 9110 §9.2.2: the safe methods plus PUT and DELETE.
bool is_idempotent(Method m);

// Bit sets of methods, as used by rule matching.
constexpr uint32_t method_bit(Method m) { return 1u << static_cast<unsigned>(m); }

}  // namespace etagd::http
