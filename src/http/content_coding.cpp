#include "http/content_coding.h"

#include "http/token.h"

namespace etagd::http {

std::string_view coding_name(ContentCoding coding) {
  switch (coding) {
    case ContentCoding::Identity: return "identity";
    case ContentCoding::Br: return "br";
    case ContentCoding::Zstd: return "zstd";
    case ContentCoding::Gzip: return "gzip";
    case ContentCoding::Deflate: return "deflate";
  }
  return "identity";
}

std::optional<ContentCoding> parse_coding_name(std::string_view token) {
  if (iequals(token, "br")) return ContentCoding::Br;
  if (iequals(token, "gzip") || iequals(token, "x-gzip")) return ContentCoding::Gzip;
  if (iequals(token, "zstd")) return ContentCoding::Zstd;
  if (iequals(token, "deflate")) return ContentCoding::Deflate;
  if (iequals(token, "identity")) return ContentCoding::Identity;
  return std::nullopt;
}

}  // namespace etagd::http
