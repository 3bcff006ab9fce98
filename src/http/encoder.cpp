#include "http/encoder.h"

#include "http/brotli_encoder.h"
#include "http/gzip_encoder.h"
#include "http/zstd_encoder.h"

namespace etagd::http {

LevelRange level_range(ContentCoding coding) {
  switch (coding) {
    case ContentCoding::Br: return {0, 11};
    case ContentCoding::Zstd: return {1, 19};
    case ContentCoding::Gzip: return {1, 9};
    case ContentCoding::Identity:
    case ContentCoding::Deflate: break;
  }
  return {0, 0};
}

bool can_encode(ContentCoding coding) {
  return coding == ContentCoding::Br || coding == ContentCoding::Zstd ||
         coding == ContentCoding::Gzip;
}

std::unique_ptr<Encoder> make_encoder(ContentCoding coding, int level, uint64_t size_hint) {
  switch (coding) {
    case ContentCoding::Br: return make_brotli_encoder(level, size_hint);
    case ContentCoding::Zstd: return make_zstd_encoder(level, size_hint);
    case ContentCoding::Gzip: return make_gzip_encoder(level, size_hint);
    case ContentCoding::Identity:
    case ContentCoding::Deflate: break;
  }
  return nullptr;
}

bool encode_whole(ContentCoding coding, int level, std::string_view input, std::string& out) {
  std::unique_ptr<Encoder> encoder = make_encoder(coding, level, input.size());
  if (!encoder) return false;
  return encoder->write(input, out) && encoder->finish(out);
}

}  // namespace etagd::http
