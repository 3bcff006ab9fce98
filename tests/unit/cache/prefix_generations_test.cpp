#include "cache/prefix_generations.h"

#include <doctest/doctest.h>

using etagd::cache::PrefixGenerations;

TEST_CASE("a path is covered by every recorded prefix it starts with") {
  PrefixGenerations p(16);
  CHECK(p.newest_covering("/api/items/1") == 0);
  CHECK(p.record("/api/", 5));
  CHECK(p.record("/api/items/", 9));
  CHECK(p.record("/other", 11));
  CHECK(p.newest_covering("/api/items/1") == 9);
  CHECK(p.newest_covering("/api/users") == 5);
  CHECK(p.newest_covering("/api") == 0);         // shorter than the prefix
  CHECK(p.newest_covering("/otherwise") == 11);  // a prefix is bytes, not segments
  CHECK(p.newest_covering("/") == 0);
}

TEST_CASE("recording a prefix again keeps its newest sequence number") {
  PrefixGenerations p(16);
  CHECK(p.record("/a", 3));
  CHECK(p.record("/a", 8));
  CHECK(p.record("/a", 4));
  CHECK(p.size() == 1);
  CHECK(p.newest_covering("/a/b") == 8);
}

TEST_CASE("a full record refuses a new prefix but still updates known ones") {
  PrefixGenerations p(2);
  CHECK(p.record("/a", 1));
  CHECK(p.record("/b", 2));
  CHECK(!p.record("/c", 3));
  CHECK(p.newest_covering("/c") == 0);
  CHECK(p.record("/a", 4));
  CHECK(p.newest_covering("/a") == 4);
  p.clear();
  CHECK(p.empty());
  CHECK(p.newest_covering("/a") == 0);
  CHECK(p.record("/c", 5));
}

TEST_CASE("the empty prefix covers every path") {
  PrefixGenerations p(4);
  CHECK(p.record("", 7));
  CHECK(p.newest_covering("/anything") == 7);
  CHECK(p.newest_covering("") == 7);
}
