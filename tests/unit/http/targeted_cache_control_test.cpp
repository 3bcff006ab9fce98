#include "http/targeted_cache_control.h"

#include <doctest/doctest.h>

using etagd::http::CacheControl;
using etagd::http::parse_targeted_cache_control;

TEST_CASE("RFC 9213 §2.1: a targeted field's directives fill CacheControl") {
  CacheControl cc;
  REQUIRE(parse_targeted_cache_control(
      "max-age=60, s-maxage=30, must-revalidate, stale-while-revalidate=5, stale-if-error=7", cc));
  CHECK(cc.targeted);
  CHECK(cc.max_age == 60);
  CHECK(cc.s_maxage == 30);
  CHECK(cc.must_revalidate);
  CHECK(cc.stale_while_revalidate == 5);
  CHECK(cc.stale_if_error == 7);
  CHECK(!cc.no_store);
}

TEST_CASE("RFC 9213 §2.1: private, no-cache and no-store are read, also in qualified form") {
  CacheControl cc;
  REQUIRE(parse_targeted_cache_control(R"(private="set-cookie", no-cache, no-store)", cc));
  CHECK(cc.private_);
  CHECK(cc.no_cache);
  CHECK(cc.no_store);
}

TEST_CASE("RFC 9213 §2.2: an invalid or empty targeted field is ignored and changes nothing") {
  CacheControl cc;
  cc.max_age = 10;
  CHECK(!parse_targeted_cache_control("max-age=60,", cc));
  CHECK(!parse_targeted_cache_control("Max-Age=60", cc));
  CHECK(!parse_targeted_cache_control("", cc));
  CHECK(cc.max_age == 10);
  CHECK(!cc.targeted);
}

TEST_CASE("RFC 9213 §2.1: directive values of the wrong type are not consumed") {
  CacheControl cc;
  REQUIRE(parse_targeted_cache_control(R"(max-age=1.5, s-maxage="60", no-store=?0, public=1)", cc));
  CHECK(!cc.max_age);
  CHECK(!cc.s_maxage);
  CHECK(!cc.no_store);
  CHECK(!cc.public_);
  CacheControl neg;
  REQUIRE(parse_targeted_cache_control("max-age=-1", neg));
  CHECK(!neg.max_age);
}

TEST_CASE("RFC 9213 §2.1: a field of unknown directives only is valid and sets no freshness") {
  CacheControl cc;
  cc.max_age = 10;
  REQUIRE(parse_targeted_cache_control("none", cc));
  CHECK(cc.targeted);
  CHECK(!cc.max_age);
}

TEST_CASE("RFC 9111 §1.2.2: delta-seconds above 2^31 clamp") {
  CacheControl cc;
  REQUIRE(parse_targeted_cache_control("max-age=999999999999999", cc));
  CHECK(cc.max_age == (int64_t{1} << 31));
}
