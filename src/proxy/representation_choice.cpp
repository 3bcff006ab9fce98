#include "proxy/representation_choice.h"

#include <array>

#include "http/accept_encoding.h"

namespace etagd::proxy {

cache::Representation choose_representation(const http::RequestHead& request,
                                            const cache::CacheEntry& entry) {
  size_t n = entry.encoded_count();
  if (n == 0) return entry.identity();
  if (request.method == http::Method::Get && request.headers.contains("range")) {
    return entry.identity();
  }
  std::array<http::ContentCoding, cache::CacheEntry::kMaxEncoded> offered{};
  for (size_t i = 0; i < n; ++i) offered[i] = entry.encoded(i).coding;
  http::ContentCoding chosen = http::AcceptEncoding::from_request(request.headers)
                                   .choose(std::span<const http::ContentCoding>(offered.data(), n));
  for (size_t i = 0; i < n; ++i) {
    if (offered[i] == chosen) return entry.encoded(i);
  }
  return entry.identity();
}

}  // namespace etagd::proxy
