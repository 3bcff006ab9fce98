#include "cache/prefix_generations.h"

#include <doctest/doctest.h>

using etagd::cache::PrefixGenerations;
using etagd::cache::PrefixMatch;

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

TEST_CASE("a segment prefix covers its path, what lies below it and its queries, not siblings") {
  PrefixGenerations p(16);
  CHECK(p.record("/api/users", 6, PrefixMatch::Segments));
  CHECK(p.newest_covering("/api/users") == 6);
  CHECK(p.newest_covering("/api/users/7") == 6);
  CHECK(p.newest_covering("/api/users?page=2") == 6);
  CHECK(p.newest_covering("/api/usersettings") == 0);
  CHECK(p.newest_covering("/api/users-archive") == 0);
  CHECK(p.newest_covering("/api/user") == 0);
}

TEST_CASE("byte and segment invalidations of one prefix keep their own sequence numbers") {
  PrefixGenerations p(16);
  CHECK(p.record("/a", 3, PrefixMatch::Bytes));
  CHECK(p.record("/a", 9, PrefixMatch::Segments));
  CHECK(p.size() == 1);
  CHECK(p.newest_covering("/ab") == 3);   // only the byte prefix covers a sibling
  CHECK(p.newest_covering("/a/b") == 9);  // both cover a child; the newer wins
  CHECK(p.newest_covering("/a") == 9);
}

TEST_CASE("a segment prefix that ends in a slash matches as bytes do") {
  PrefixGenerations p(16);
  CHECK(p.record("/api/", 4, PrefixMatch::Segments));
  CHECK(p.newest_covering("/api/items") == 4);
  CHECK(p.record("/", 5, PrefixMatch::Segments));
  CHECK(p.newest_covering("/anything") == 5);
}
