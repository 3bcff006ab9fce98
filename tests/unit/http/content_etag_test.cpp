#include "http/content_etag.h"

#include <doctest/doctest.h>
#include <xxhash.h>

#include <random>
#include <set>
#include <string>

#include "http/etag.h"

using etagd::http::content_etag;
using etagd::http::ContentHasher;

namespace {

// An independent, bit-at-a-time base64url encoder (RFC 4648 §5, no padding), so the test does
// not share the implementation's table arithmetic.
std::string base64url_bits(const unsigned char* bytes, size_t n) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t bits = n * 8;
  for (size_t start = 0; start < bits; start += 6) {
    int v = 0;
    for (size_t b = start; b < start + 6; ++b) {
      int bit = b < bits ? (bytes[b / 8] >> (7 - b % 8)) & 1 : 0;
      v = v * 2 + bit;
    }
    out += alphabet[static_cast<size_t>(v)];
  }
  return out;
}

std::string expected_tag(std::string_view body) {
  XXH128_hash_t h = XXH3_128bits(body.data(), body.size());
  unsigned char be[16];
  for (int i = 0; i < 8; ++i) {
    be[i] = static_cast<unsigned char>(h.high64 >> (56 - 8 * i));
    be[8 + i] = static_cast<unsigned char>(h.low64 >> (56 - 8 * i));
  }
  std::string tag = "\"";  // appended piecewise: GCC 12's -Wrestrict misfires on "x" + s
  tag += base64url_bits(be, 16);
  tag += '"';
  return tag;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace

TEST_CASE("the empty body's ETag is the base64url of XXH3-128 of nothing") {
  CHECK(content_etag("", 0) == expected_tag(""));
  CHECK(content_etag(nullptr, 0) == expected_tag(""));
  ContentHasher hasher;
  CHECK(hasher.etag() == expected_tag(""));
}

TEST_CASE("content ETags are stable across builds and versions of xxHash") {
  // Fixed values: instances of a fleet (possibly running different releases) must agree.
  CHECK(content_etag("", 0) == "\"maoG0wFHmNhgAcMkRo1Jfw\"");
  CHECK(content_etag("hello world", 11) == "\"340J6T-HSQCpm4d1zBW2xw\"");
  std::string fox = "The quick brown fox jumps over the lazy dog";
  CHECK(content_etag(fox.data(), fox.size()) == "\"3dZQIFyj5_okocwuOop2UQ\"");
}

TEST_CASE("a content ETag is a strong entity-tag of 22 base64url characters") {
  std::string body = random_bytes(1000, 7);
  std::string tag = content_etag(body.data(), body.size());
  CHECK(tag == expected_tag(body));
  REQUIRE(tag.size() == 24);
  CHECK(tag.front() == '"');
  CHECK(tag.back() == '"');
  for (size_t i = 1; i < 23; ++i) {
    char c = tag[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    CHECK(ok);
  }
  etagd::http::EntityTag parsed;
  REQUIRE(etagd::http::parse_entity_tag(tag, parsed));
  CHECK(!parsed.weak);
}

TEST_CASE("streaming the body in any split gives the one-shot ETag") {
  // Sizes straddle XXH3's internal stripe (64) and block (1024) boundaries.
  for (size_t size : {1u, 63u, 64u, 65u, 240u, 241u, 1023u, 1024u, 1025u, 70000u}) {
    CAPTURE(size);
    std::string body = random_bytes(size, static_cast<uint32_t>(size));
    const std::string one_shot = content_etag(body.data(), body.size());
    CHECK(one_shot == expected_tag(body));

    ContentHasher bytewise;
    for (char c : body) bytewise.update(&c, 1);
    CHECK(bytewise.etag() == one_shot);

    std::mt19937 rng(static_cast<uint32_t>(size) * 31);
    ContentHasher chunks;
    for (size_t off = 0; off < body.size();) {
      size_t n = std::min<size_t>(body.size() - off, rng() % 3000);
      chunks.update(body.data() + off, n);  // includes empty updates
      off += n;
    }
    CHECK(chunks.etag() == one_shot);
  }
}

TEST_CASE("etag() can be asked mid-stream without disturbing the hash") {
  std::string body = random_bytes(5000, 3);
  ContentHasher hasher;
  hasher.update(body.data(), 2000);
  CHECK(hasher.etag() == content_etag(body.data(), 2000));
  hasher.update(body.data() + 2000, 3000);
  CHECK(hasher.etag() == content_etag(body.data(), body.size()));
}

TEST_CASE("reset() starts a new body") {
  ContentHasher hasher;
  hasher.update("first body", 10);
  hasher.reset();
  hasher.update("second", 6);
  CHECK(hasher.etag() == content_etag("second", 6));
}

TEST_CASE("different bodies get different ETags") {
  std::set<std::string> tags;
  std::string body = random_bytes(4096, 11);
  tags.insert(content_etag(body.data(), body.size()));
  for (size_t i = 0; i < body.size(); i += 97) {
    std::string changed = body;
    changed[i] = static_cast<char>(changed[i] ^ 1);  // one bit flipped
    tags.insert(content_etag(changed.data(), changed.size()));
  }
  tags.insert(content_etag(body.data(), body.size() - 1));  // one byte shorter
  std::string longer = body + '\0';
  tags.insert(content_etag(longer.data(), longer.size()));
  CHECK(tags.size() == 4096 / 97 + 1 + 1 + 1 + 1);
}
