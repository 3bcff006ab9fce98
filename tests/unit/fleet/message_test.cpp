#include "fleet/message.h"

#include <doctest/doctest.h>

#include <string>

using etagd::fleet::decode;
using etagd::fleet::encode;
using etagd::fleet::Message;
using etagd::fleet::MessageKind;

TEST_CASE("every kind of message survives an encode/decode round trip") {
  const Message messages[] = {
      {"web-1#0badcafe", MessageKind::Url, "api.example.com/items/42?full=1"},
      {"web-1#0badcafe", MessageKind::Prefix, "/api/uploads/"},
      {"web-1#0badcafe", MessageKind::Path, "/api/users"},
      {"web-1#0badcafe", MessageKind::All, ""},
      {"web-1#0badcafe", MessageKind::Heartbeat, "17"},
  };
  for (const Message& m : messages) {
    CAPTURE(encode(m));
    std::optional<Message> back = decode(encode(m));
    REQUIRE(back.has_value());
    CHECK(*back == m);
  }
}

TEST_CASE("the wire format is one readable line an operator can see with redis-cli") {
  CHECK(encode({"web-1#00000001", MessageKind::Url, "api.example.com/items/42"}) ==
        "etagd1 web-1#00000001 url api.example.com/items/42");
  CHECK(encode({"web-1#00000001", MessageKind::Prefix, "/api/"}) ==
        "etagd1 web-1#00000001 prefix /api/");
  CHECK(encode({"web-1#00000001", MessageKind::All, ""}) == "etagd1 web-1#00000001 all");
  CHECK(encode({"web-1#00000001", MessageKind::Heartbeat, "3"}) == "etagd1 web-1#00000001 ping 3");
}

TEST_CASE("a value is everything after the third space, spaces and odd bytes included") {
  std::string value = "/a path/with spaces/ and\ttab";
  value.push_back('\0');
  value += "after-nul";
  std::optional<Message> m = decode(encode({"s", MessageKind::Prefix, value}));
  REQUIRE(m.has_value());
  CHECK(m->value == value);
  CHECK(m->value.size() == value.size());
}

TEST_CASE("decode refuses anything that is not a well-formed etagd1 message") {
  const char* bad[] = {
      "",
      "hello",
      "etagd1",
      "etagd1 ",
      "etagd1 web-1",
      "etagd2 web-1 url a/b",     // another version
      "ETAGD1 web-1 url a/b",     // the tag is case-sensitive
      "etagd1  url a/b",          // empty sender
      "etagd1 web-1 delete a/b",  // unknown kind
      "etagd1 web-1 url",         // url without a value
      "etagd1 web-1 url ",        // ... or with an empty one
      "etagd1 web-1 prefix ",     // prefix with an empty value
      "etagd1 web-1 all now",     // `all` carries no value
      "etagd1 web-1 all ",        // ... not even an empty one
      "etagd1 web-1 URL a/b",     // kinds are lowercase
  };
  for (const char* payload : bad) {
    CAPTURE(payload);
    CHECK_FALSE(decode(payload).has_value());
  }
}

TEST_CASE("kind names match the wire format") {
  CHECK(etagd::fleet::kind_name(MessageKind::Url) == "url");
  CHECK(etagd::fleet::kind_name(MessageKind::Prefix) == "prefix");
  CHECK(etagd::fleet::kind_name(MessageKind::Path) == "path");
  CHECK(etagd::fleet::kind_name(MessageKind::Target) == "target");
  CHECK(decode("etagd1 web-1 target /items/3?page=2") ==
        Message{"web-1", MessageKind::Target, "/items/3?page=2"});
  CHECK_FALSE(decode("etagd1 web-1 target ").has_value());
  CHECK(etagd::fleet::kind_name(MessageKind::All) == "all");
  CHECK(etagd::fleet::kind_name(MessageKind::Heartbeat) == "ping");
}
