#include "base/json_writer.h"

#include <doctest/doctest.h>

namespace etagd::base {
namespace {

TEST_CASE("a compact JSON document separates members and elements with commas") {
  JsonWriter w;
  w.begin_object();
  w.key("purged").value(uint64_t{3});
  w.key("key").value("api.example.com/x");
  w.key("list").begin_array().value(1).value(true).null().end_array();
  w.key("empty").begin_object().end_object();
  w.end_object();
  CHECK(w.str() == R"({"purged":3,"key":"api.example.com/x","list":[1,true,null],"empty":{}})");
}

TEST_CASE("a pretty JSON document indents nested containers by two spaces") {
  JsonWriter w(/*pretty=*/true);
  w.begin_object();
  w.key("a").value(int64_t{-1});
  w.key("b").begin_array().value("x").begin_object().key("c").value(false).end_object().end_array();
  w.key("d").begin_array().end_array();
  w.end_object();
  CHECK(w.str() ==
        "{\n"
        "  \"a\": -1,\n"
        "  \"b\": [\n"
        "    \"x\",\n"
        "    {\n"
        "      \"c\": false\n"
        "    }\n"
        "  ],\n"
        "  \"d\": []\n"
        "}\n");
}

TEST_CASE("a value another writer encoded goes in as it is, with the commas around it") {
  JsonWriter inner;
  inner.begin_array().value("127.0.0.1:8081").end_array();
  JsonWriter w;
  w.begin_object().key("a").encoded(inner.str()).key("b").encoded("4").end_object();
  CHECK(w.str() == R"({"a":["127.0.0.1:8081"],"b":4})");
}

TEST_CASE("JSON strings escape what RFC 8259 requires and keys are escaped too") {
  JsonWriter w;
  w.begin_object().key("a\"b").value(std::string_view("\\\b\f\x1b", 4)).end_object();
  CHECK(w.str() == R"({"a\"b":"\\\u0008\u000c\u001b"})");
}

}  // namespace
}  // namespace etagd::base
