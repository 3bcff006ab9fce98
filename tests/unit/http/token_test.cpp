#include "http/token.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace etagd::http;

namespace {

std::vector<std::string> members(std::string_view value) {
  std::vector<std::string> out;
  for_each_list_member(value, [&](std::string_view m) {
    out.emplace_back(m);
    return true;
  });
  return out;
}

}  // namespace

TEST_CASE("tchar is exactly RFC 9110 §5.6.2") {
  const std::string tchars =
      "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (int c = 0; c < 256; ++c) {
    CAPTURE(c);
    bool expected = tchars.find(static_cast<char>(c)) != std::string::npos && c != 0;
    CHECK(is_token_char(static_cast<unsigned char>(c)) == expected);
  }
  CHECK(is_token("Content-Length"));
  CHECK(!is_token(""));
  CHECK(!is_token("a b"));
  CHECK(!is_token("a:b"));
}

TEST_CASE("case-insensitive comparison only folds ASCII letters") {
  CHECK(iequals("Content-Type", "content-TYPE"));
  CHECK(!iequals("abc", "abcd"));
  CHECK(!iequals("[", "{"));  // 0x5B vs 0x7B differ only by the case bit
  CHECK(!iequals("\xc3\xa9", "\xc3\x89"));
  CHECK(istarts_with("Proxy-Authorization", "proxy-"));
  CHECK(!istarts_with("Prox", "proxy-"));
  CHECK(lowercase("X-Cache-STATUS") == "x-cache-status");
}

TEST_CASE("trim_ows strips only SP and HTAB") {
  CHECK(trim_ows(" \t a b \t ") == "a b");
  CHECK(trim_ows("\r\na\r\n") == "\r\na\r\n");
  CHECK(trim_ows("   ").empty());
  CHECK(trim_ows("").empty());
}

TEST_CASE("list members are split on commas, trimmed, and empty ones skipped") {
  CHECK(members("a, b,c") == std::vector<std::string>{"a", "b", "c"});
  CHECK(members(" , a ,, b , ") == std::vector<std::string>{"a", "b"});
  CHECK(members("").empty());
  CHECK(members(" , ").empty());
}

TEST_CASE("commas inside quoted strings do not split list members") {
  CHECK(members("a=\"x, y\", b") == std::vector<std::string>{"a=\"x, y\"", "b"});
  CHECK(members("a=\"x\\\", y\", b") == std::vector<std::string>{"a=\"x\\\", y\"", "b"});
}

TEST_CASE("list iteration stops when the callback returns false") {
  int seen = 0;
  bool finished = for_each_list_member("a, b, c", [&](std::string_view m) {
    ++seen;
    return m != "b";
  });
  CHECK(!finished);
  CHECK(seen == 2);
}

TEST_CASE("a list whose last member ends in a lone backslash inside quotes keeps that member") {
  std::vector<std::string> members;
  etagd::http::for_each_list_member("public, max-age=60, private=\"\\", [&](std::string_view m) {
    members.emplace_back(m);
    return true;
  });
  REQUIRE(members.size() == 3);
  CHECK(members[2] == "private=\"\\");
}
