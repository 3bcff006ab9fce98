// Strong ETags made from the response body (XXH3-128), computed while the body arrives.
// The same bytes give the same ETag on every worker and every etagd instance: the tag depends
// on nothing but the body, so a fleet behind a load balancer agrees without talking.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace etagd::http {

class ContentHasher {
 public:
  ContentHasher();
  ~ContentHasher();
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;

  void reset();
  void update(const void* data, size_t len);
  // The strong ETag for everything passed to update() since reset():
  // a DQUOTE, 22 characters of unpadded base64url of the 128-bit digest, a DQUOTE.
  std::string etag() const;

 private:
  struct State;  // XXH3_state_t, kept out of this header
  std::unique_ptr<State> state_;
};

// One-shot form of the above.
std::string content_etag(const void* data, size_t len);

}  // namespace etagd::http
