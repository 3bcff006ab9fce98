// The strict chunked decoder (RFC 9112 §7.1).
#include "http/chunked_decoder.h"

#include <doctest/doctest.h>

#include <string>

using etagd::http::ChunkedDecoder;
using Status = ChunkedDecoder::Status;

namespace {

struct Decoded {
  Status status;
  std::string body;
  size_t consumed;
  std::string error;
};

// Feeds `wire` in pieces of `step` bytes (0 = all at once).
Decoded decode(const std::string& wire, size_t step = 0) {
  ChunkedDecoder d;
  Decoded out{Status::NeedMore, "", 0, ""};
  size_t pos = 0;
  while (pos < wire.size() && out.status == Status::NeedMore) {
    size_t n = step == 0 ? wire.size() - pos : std::min(step, wire.size() - pos);
    size_t used = 0;
    out.status = d.decode(wire.data() + pos, n, used,
                          [&](const char* p, size_t l) { out.body.append(p, l); });
    pos += used;
    if (used < n && out.status == Status::NeedMore) break;
  }
  out.consumed = pos;
  out.error = std::string(d.error());
  return out;
}

}  // namespace

TEST_CASE("chunks decode to the body whatever the split, and bytes after the end are left") {
  std::string wire = "5\r\nhello\r\n1A;name=value;q=\"a b\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                     "0\r\nTrailer-A: 1\r\n\r\nNEXT";
  for (size_t step : {0, 1, 2, 3, 7}) {
    CAPTURE(step);
    Decoded d = decode(wire, step);
    CHECK(d.status == Status::Done);
    CHECK(d.body == "helloabcdefghijklmnopqrstuvwxyz");
    CHECK(d.consumed == wire.size() - 4);
  }
}

TEST_CASE("an incomplete chunked body asks for more") {
  CHECK(decode("5\r\nhel").status == Status::NeedMore);
  CHECK(decode("5\r\nhello\r\n0\r\n").status == Status::NeedMore);
}

TEST_CASE("framing errors that smuggling relies on are refused") {
  struct Case {
    const char* wire;
    const char* error;
  } cases[] = {
      {"5\rhello\r\n0\r\n\r\n", "bare CR in chunk size line"},
      {"0x5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"},
      {" 5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"},
      {"5 \r\nhello\r\n0\r\n\r\n", "invalid chunk size"},
      {"-5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"},
      {"\r\nhello\r\n0\r\n\r\n", "invalid chunk size"},
      {"3\r\nhello\r\n0\r\n\r\n", "chunk data longer than its size"},
      {"5\r\nhello\rX0\r\n\r\n", "bare CR after chunk data"},
      {"1000000000000000\r\n", "chunk size too large"},
      {"5;a\x01\r\nhello\r\n0\r\n\r\n", "invalid chunk extension"},
      {"0\r\n: no-name\r\n\r\n", "invalid trailer field"},
      {"0\r\nX: a\rb\r\n\r\n", "bare CR in trailer field"},
      {"0\r\n\rX", "bare CR at end of chunked body"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.wire);
    Decoded d = decode(c.wire);
    CHECK(d.status == Status::Invalid);
    CHECK(d.error == c.error);
    // Byte by byte gives the same verdict.
    CHECK(decode(c.wire, 1).status == Status::Invalid);
  }
}

TEST_CASE("leading zeros are allowed in chunk sizes, within the digit limit") {
  Decoded d = decode("0005\r\nhello\r\n000\r\n\r\n");
  CHECK(d.status == Status::Done);
  CHECK(d.body == "hello");
}

TEST_CASE("overlong chunk extensions and trailer sections are refused") {
  std::string ext = "1;" + std::string(5000, 'a') + "\r\nx\r\n0\r\n\r\n";
  CHECK(decode(ext).error == "chunk extension too long");
  std::string trailers = "0\r\n";
  for (int i = 0; i < 2000; ++i) trailers += "X-T: 0123456789\r\n";
  trailers += "\r\n";
  CHECK(decode(trailers).error == "trailer section too large");
}

TEST_CASE("body_bytes counts decoded bytes") {
  ChunkedDecoder d;
  size_t used = 0;
  std::string wire = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  CHECK(d.decode(wire.data(), wire.size(), used, [](const char*, size_t) {}) == Status::Done);
  CHECK(d.body_bytes() == 5);
}
