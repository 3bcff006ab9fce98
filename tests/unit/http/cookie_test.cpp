#include "http/cookie.h"

#include <doctest/doctest.h>

using etagd::http::HeaderList;
using etagd::http::cookie_values;

TEST_CASE("a named cookie's value is found among others, across every Cookie line") {
  HeaderList h;
  h.add("Cookie", "_ga=GA1.2.3; sessionid=abc123;theme=dark");
  h.add("cookie", "lang=de");
  CHECK(cookie_values(h, "sessionid") == "abc123");
  CHECK(cookie_values(h, "theme") == "dark");
  CHECK(cookie_values(h, "lang") == "de");
  CHECK(cookie_values(h, "missing").empty());
}

TEST_CASE("cookie names are case-sensitive and match whole names only") {
  HeaderList h;
  h.add("Cookie", "SessionID=upper; xsessionid=prefixed; sessionid2=suffixed");
  CHECK(cookie_values(h, "sessionid").empty());
  CHECK(cookie_values(h, "SessionID") == "upper");
}

TEST_CASE("a cookie sent twice keeps both values, in order") {
  HeaderList h;
  h.add("Cookie", "id=1; id=2");
  CHECK(cookie_values(h, "id") == "1; 2");
}

TEST_CASE("pairs without '=' and stray separators are skipped") {
  HeaderList h;
  h.add("Cookie", ";; flag; id = 7 ;");
  CHECK(cookie_values(h, "id") == "7");
  CHECK(cookie_values(h, "flag").empty());
}
