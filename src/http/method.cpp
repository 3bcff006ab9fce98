#include "http/method.h"

namespace etagd::http {

namespace {
constexpr std::string_view kNames[kMethodCount] = {"GET",     "HEAD",  "POST",    "PUT",  "PATCH",
                                                   "DELETE",  "OPTIONS", "TRACE", "CONNECT", "OTHER"};
}  // namespace

Method parse_method(std::string_view token) {
  for (int i = 0; i < kMethodCount - 1; ++i) {
    if (kNames[i] == token) return static_cast<Method>(i);
  }
  return Method::Other;
}

std::string_view method_name(Method m) { return kNames[static_cast<int>(m)]; }

bool is_safe(Method m) {
  return m == Method::Get || m == Method::Head || m == Method::Options || m == Method::Trace;
}

bool is_idempotent(Method m) { return is_safe(m) || m == Method::Put || m == Method::Delete; }

}  // namespace etagd::http
