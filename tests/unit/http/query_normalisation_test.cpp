// Cache-key normalisation of the query (cache_key.query): which URLs share an entry.
#include "http/query_normalisation.h"

#include <doctest/doctest.h>

using etagd::http::normalise_query;
using etagd::http::QueryNormalisation;

namespace {

QueryNormalisation sorted() {
  QueryNormalisation n;
  n.sort = true;
  return n;
}

}  // namespace

TEST_CASE("without a normalisation the target is kept byte for byte") {
  CHECK(normalise_query("/items?b=2&&a=1&", {}) == "/items?b=2&&a=1&");
  CHECK(normalise_query("/items", sorted()) == "/items");
}

TEST_CASE("sorting orders parameters by name, so any order shares one key") {
  QueryNormalisation n = sorted();
  CHECK(normalise_query("/items?b=2&a=1", n) == "/items?a=1&b=2");
  CHECK(normalise_query("/items?a=1&b=2", n) == "/items?a=1&b=2");
  CHECK(normalise_query("/items?c&b=&a=3", n) == "/items?a=3&b=&c");
}

TEST_CASE("sorting keeps repeated names in their order: a list's order can matter") {
  CHECK(normalise_query("/i?z=0&a=2&a=1", sorted()) == "/i?a=2&a=1&z=0");
}

TEST_CASE("empty parameters are dropped and an empty query loses its question mark") {
  QueryNormalisation n = sorted();
  CHECK(normalise_query("/i?&&b=1&", n) == "/i?b=1");
  CHECK(normalise_query("/i?", n) == "/i");
  CHECK(normalise_query("/i?&", n) == "/i");
}

TEST_CASE("ignore drops parameters whose name matches a pattern") {
  QueryNormalisation n;
  n.ignore = {"utm_*", "fbclid", "gclid"};
  CHECK(normalise_query("/p?a=1&utm_source=x&b=2&utm_medium=y", n) == "/p?a=1&b=2");
  CHECK(normalise_query("/p?fbclid=1&gclid=2", n) == "/p");
  CHECK(normalise_query("/p?utm=1&xutm_a=2", n) == "/p?utm=1&xutm_a=2");
}

TEST_CASE("names are percent-decoded before they are matched") {
  QueryNormalisation n;
  n.ignore = {"utm_*"};
  CHECK(normalise_query("/p?utm%5Fsource=x&a=1", n) == "/p?a=1");
}

TEST_CASE("keep lists the only parameters that count") {
  QueryNormalisation n;
  n.keep = {"page", "q"};
  CHECK(normalise_query("/s?q=cat&session=9&page=2&ref=home", n) == "/s?q=cat&page=2");
  CHECK(normalise_query("/s?ref=home", n) == "/s");
}

TEST_CASE("filtering and sorting combine") {
  QueryNormalisation n = sorted();
  n.ignore = {"utm_*"};
  CHECK(normalise_query("/p?b=2&utm_source=x&a=1", n) == "/p?a=1&b=2");
}

TEST_CASE("a parameter without '=' is named by all of it") {
  QueryNormalisation n;
  n.ignore = {"debug"};
  CHECK(normalise_query("/p?debug&x=1", n) == "/p?x=1");
}
