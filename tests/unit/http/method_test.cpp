#include "http/method.h"

#include <doctest/doctest.h>

#include <string>

using etagd::http::is_idempotent;
using etagd::http::is_safe;
using etagd::http::Method;
using etagd::http::method_bit;
using etagd::http::method_name;
using etagd::http::parse_method;

TEST_CASE("known method tokens parse and print back the same") {
  for (std::string name :
       {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}) {
    CAPTURE(name);
    Method m = parse_method(name);
    CHECK(m != Method::Other);
    CHECK(method_name(m) == name);
  }
}

TEST_CASE("method tokens are case-sensitive and unknown ones are Other") {
  CHECK(parse_method("get") == Method::Other);
  CHECK(parse_method("Get") == Method::Other);
  CHECK(parse_method("PROPFIND") == Method::Other);
  CHECK(parse_method("") == Method::Other);
  CHECK(parse_method("GETX") == Method::Other);
  CHECK(method_name(Method::Other) == "OTHER");
}

TEST_CASE("safe and idempotent methods follow RFC 9110 §9.2") {
  CHECK(is_safe(Method::Get));
  CHECK(is_safe(Method::Head));
  CHECK(is_safe(Method::Options));
  CHECK(is_safe(Method::Trace));
  CHECK(!is_safe(Method::Post));
  CHECK(!is_safe(Method::Put));
  CHECK(!is_safe(Method::Delete));
  CHECK(!is_safe(Method::Patch));
  CHECK(!is_safe(Method::Other));

  CHECK(is_idempotent(Method::Get));
  CHECK(is_idempotent(Method::Put));
  CHECK(is_idempotent(Method::Delete));
  CHECK(!is_idempotent(Method::Post));
  CHECK(!is_idempotent(Method::Patch));
  CHECK(!is_idempotent(Method::Other));
}

TEST_CASE("each method has its own bit") {
  uint32_t all = 0;
  for (int i = 0; i < etagd::http::kMethodCount; ++i) {
    uint32_t bit = method_bit(static_cast<Method>(i));
    CHECK((all & bit) == 0);
    all |= bit;
  }
}
