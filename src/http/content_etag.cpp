#include "http/content_etag.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t's layout, so the state lives inside State
#include <xxhash.h>

namespace etagd::http {

namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 16 digest bytes -> 22 base64url characters (RFC 4648 §5, no padding): 128 bits are five
// 24-bit groups (20 characters) and one trailing byte (2 characters). Every character is an
// etagc, so the tag needs no escaping anywhere.
std::string tag_from_digest(XXH128_hash_t digest) {
  XXH128_canonical_t canonical;  // big-endian: high64 then low64
  XXH128_canonicalFromHash(&canonical, digest);
  const unsigned char* b = canonical.digest;

  std::string tag(24, '"');
  char* out = tag.data() + 1;
  for (int i = 0; i < 15; i += 3) {
    uint32_t group = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8) | b[i + 2];
    *out++ = kBase64Url[(group >> 18) & 63];
    *out++ = kBase64Url[(group >> 12) & 63];
    *out++ = kBase64Url[(group >> 6) & 63];
    *out++ = kBase64Url[group & 63];
  }
  *out++ = kBase64Url[b[15] >> 2];
  *out++ = kBase64Url[(b[15] & 3) << 4];
  return tag;
}

}  // namespace

struct ContentHasher::State {
  XXH3_state_t xxh;
};

ContentHasher::ContentHasher() : state_(std::make_unique<State>()) { reset(); }

ContentHasher::~ContentHasher() = default;

void ContentHasher::reset() { XXH3_128bits_reset(&state_->xxh); }

void ContentHasher::update(const void* data, size_t len) {
  if (len == 0) return;
  XXH3_128bits_update(&state_->xxh, data, len);
}

std::string ContentHasher::etag() const {
  return tag_from_digest(XXH3_128bits_digest(&state_->xxh));
}

std::string content_etag(const void* data, size_t len) {
  return tag_from_digest(XXH3_128bits(len == 0 ? "" : data, len));
}

}  // namespace etagd::http
