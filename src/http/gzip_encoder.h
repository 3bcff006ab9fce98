// gzip (RFC 1952) through zlib's deflate with a gzip wrapper.
#pragma once

#include <cstdint>
#include <memory>

#include "http/encoder.h"

namespace etagd::http {

// `size_hint` as for make_encoder(): the whole input's size when known, 0 otherwise.
std::unique_ptr<Encoder> make_gzip_encoder(int level, uint64_t size_hint);

}  // namespace etagd::http
