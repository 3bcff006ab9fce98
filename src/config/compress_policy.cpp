#include "config/compress_policy.h"

#include "http/token.h"

namespace etagd::config {

CompressPolicy::CompressPolicy() {
  for (http::ContentCoding c : {http::ContentCoding::Br, http::ContentCoding::Zstd,
                                http::ContentCoding::Gzip}) {
    encodings.push_back(c);
  }
  for (std::string_view t : {"application/json", "text/*", "application/javascript",
                             "application/xml", "image/svg+xml"}) {
    types.emplace_back(t);
  }
}

int CompressPolicy::level(http::ContentCoding coding) const {
  switch (coding) {
    case http::ContentCoding::Br: return level_br;
    case http::ContentCoding::Zstd: return level_zstd;
    case http::ContentCoding::Gzip: return level_gzip;
    case http::ContentCoding::Identity:
    case http::ContentCoding::Deflate: break;
  }
  return 0;
}

std::string media_type_of(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  type = http::trim_ows(type);
  size_t slash = type.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == type.size() ||
      !http::is_token(type.substr(0, slash)) || !http::is_token(type.substr(slash + 1))) {
    return {};
  }
  return http::lowercase(type);
}

bool CompressPolicy::compresses_type(std::string_view content_type) const {
  std::string type = media_type_of(content_type);
  if (type.empty()) return false;
  std::string_view main = std::string_view(type).substr(0, type.find('/') + 1);  // "text/"
  for (const std::string& t : types) {
    if (t == type) return true;
    if (t.ends_with("/*") && t.size() == main.size() + 1 && t.starts_with(main)) return true;
  }
  return false;
}

}  // namespace etagd::config
