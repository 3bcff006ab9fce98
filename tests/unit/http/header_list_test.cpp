#include "http/header_list.h"

#include <doctest/doctest.h>

#include <string>

using etagd::http::HeaderList;

TEST_CASE("header lookups ignore the case of field names") {
  HeaderList h;
  h.add("Content-Type", "text/plain");
  h.add("ETag", "\"a\"");
  CHECK(h.get("content-type") == "text/plain");
  CHECK(h.get("ETAG") == "\"a\"");
  CHECK(h.contains("etag"));
  REQUIRE(h.find("Etag") != nullptr);
  CHECK(h.find("Etag")->name == "ETag");  // the name as sent is kept
}

TEST_CASE("a missing header is absent, not an empty value") {
  HeaderList h;
  h.add("X-Empty", "");
  CHECK(h.contains("X-Empty"));
  CHECK(h.get("X-Empty").empty());
  CHECK(!h.contains("X-Missing"));
  CHECK(h.find("X-Missing") == nullptr);
  CHECK(h.get("X-Missing").empty());
  CHECK(h.combined("X-Missing").empty());
}

TEST_CASE("find returns the first of repeated fields and count sees them all") {
  HeaderList h;
  h.add("Vary", "Accept");
  h.add("Host", "a");
  h.add("vary", "Accept-Encoding");
  CHECK(h.get("Vary") == "Accept");
  CHECK(h.count("VARY") == 2);
  CHECK(h.count("Host") == 1);
  CHECK(h.count("Age") == 0);
}

TEST_CASE("repeated fields combine in order with comma-space (RFC 9110 §5.3)") {
  HeaderList h;
  h.add("Cache-Control", "no-cache");
  h.add("X-Other", "x");
  h.add("cache-control", "max-age=5");
  CHECK(h.combined("Cache-Control") == "no-cache, max-age=5");
}

TEST_CASE("fields keep their order and clear() empties the list") {
  HeaderList h;
  h.add("A", "1");
  h.add("B", "2");
  h.add("C", "3");
  std::string names;
  for (const auto& f : h) names += f.name;
  CHECK(names == "ABC");
  CHECK(h.size() == 3);
  h.clear();
  CHECK(h.empty());
  CHECK(!h.contains("A"));
}
