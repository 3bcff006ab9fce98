// gzip (RFC 1952) through zlib's deflate with a gzip wrapper.
#pragma once

#include <memory>

#include "http/encoder.h"

namespace etagd::http {

std::unique_ptr<Encoder> make_gzip_encoder(int level);

}  // namespace etagd::http
