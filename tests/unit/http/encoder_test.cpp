#include "http/encoder.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "support/content_decoding.h"

using etagd::http::coding_name;
using etagd::http::ContentCoding;
using etagd::http::encode_whole;
using etagd::http::level_range;
using etagd::http::make_encoder;
using etagd::test::decode_body;

namespace {

const std::vector<ContentCoding> kProduced = {ContentCoding::Br, ContentCoding::Zstd,
                                             ContentCoding::Gzip};

// JSON-like text: what etagd compresses most, and repetitive enough to shrink.
std::string json_body(size_t bytes) {
  std::string s = "[";
  for (int i = 0; s.size() < bytes; ++i) {
    s += "{\"id\":" + std::to_string(i) + ",\"name\":\"item " + std::to_string(i * 7919 % 1000) +
         "\",\"tags\":[\"a\",\"b\"]},";
  }
  s.resize(bytes);
  return s;
}

// Bytes that do not compress (a fixed seed: the same every run).
std::string random_bytes(size_t n) {
  std::mt19937 gen(12345);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

std::string whole(ContentCoding coding, std::string_view input, int level = 5) {
  std::string out;
  REQUIRE(encode_whole(coding, level, input, out));
  return out;
}

}  // namespace

TEST_CASE("every produced coding decodes with its own library to exactly the input") {
  for (ContentCoding coding : kProduced) {
    for (size_t size : {size_t{1}, size_t{2048}, size_t{65536}}) {
      CAPTURE(coding_name(coding));
      CAPTURE(size);
      std::string body = json_body(size);
      std::string encoded = whole(coding, body);
      CHECK(decode_body(coding_name(coding), encoded) == body);
    }
  }
}

TEST_CASE("an empty body encodes to a complete stream that decodes to nothing") {
  for (ContentCoding coding : kProduced) {
    CAPTURE(coding_name(coding));
    std::string encoded = whole(coding, "");
    CHECK_FALSE(encoded.empty());  // the coding's header and trailer still frame it
    CHECK(decode_body(coding_name(coding), encoded) == std::string());
  }
}

TEST_CASE("a large body of 8 MiB round-trips in every coding") {
  std::string body = json_body(6 << 20) + random_bytes(2 << 20);
  for (ContentCoding coding : kProduced) {
    CAPTURE(coding_name(coding));
    std::string encoded = whole(coding, body, 1);
    CHECK(encoded.size() < body.size());
    CHECK(decode_body(coding_name(coding), encoded) == body);
  }
}

TEST_CASE("a body written in pieces with flushes between them decodes to the whole body") {
  std::string body = json_body(100000);
  for (ContentCoding coding : kProduced) {
    CAPTURE(coding_name(coding));
    auto encoder = make_encoder(coding, 6);  // size unknown: a streamed response
    REQUIRE(encoder);
    std::string out;
    size_t flushed_at = 0;
    for (size_t at = 0; at < body.size(); at += 7000) {
      REQUIRE(encoder->write(std::string_view(body).substr(at, 7000), out));
      REQUIRE(encoder->flush(out));
      // After a flush the client can decode everything written so far: the stream so far is
      // a prefix of a valid one, and grew.
      CHECK(out.size() > flushed_at);
      flushed_at = out.size();
    }
    REQUIRE(encoder->finish(out));
    CHECK(decode_body(coding_name(coding), out) == body);
  }
}

TEST_CASE("JSON shrinks several times over in every coding at the default levels") {
  std::string body = json_body(65536);
  for (auto [coding, level] : {std::pair{ContentCoding::Br, 5}, std::pair{ContentCoding::Zstd, 6},
                               std::pair{ContentCoding::Gzip, 6}}) {
    CAPTURE(coding_name(coding));
    CHECK(whole(coding, body, level).size() * 4 < body.size());
  }
}

TEST_CASE("every level in each coding's range produces a stream that decodes") {
  std::string body = json_body(4096);
  for (ContentCoding coding : kProduced) {
    for (int level = level_range(coding).min; level <= level_range(coding).max; ++level) {
      CAPTURE(coding_name(coding));
      CAPTURE(level);
      CHECK(decode_body(coding_name(coding), whole(coding, body, level)) == body);
    }
  }
}

TEST_CASE("codings etagd does not produce have no encoder") {
  CHECK_FALSE(make_encoder(ContentCoding::Identity, 1));
  CHECK_FALSE(make_encoder(ContentCoding::Deflate, 1));
  std::string out;
  CHECK_FALSE(encode_whole(ContentCoding::Deflate, 1, "abc", out));
}

TEST_CASE("a decoder refuses a truncated stream, so the round trips above prove completeness") {
  std::string body = json_body(20000);
  for (ContentCoding coding : kProduced) {
    CAPTURE(coding_name(coding));
    std::string encoded = whole(coding, body);
    CHECK_FALSE(decode_body(coding_name(coding), encoded.substr(0, encoded.size() - 3)));
  }
}

TEST_CASE("bodies at the edges of the windows chosen from their size round-trip in every coding") {
  for (size_t size : {size_t{255}, size_t{256}, size_t{257}, size_t{511}, size_t{513},
                      size_t{4095}, size_t{4097}, size_t{32767}, size_t{32768}, size_t{32769},
                      size_t{131073}}) {
    std::string body = json_body(size / 2) + random_bytes(size - size / 2);
    for (ContentCoding coding : kProduced) {
      CAPTURE(coding_name(coding));
      CAPTURE(size);
      CHECK(decode_body(coding_name(coding), whole(coding, body)) == body);
    }
  }
}
