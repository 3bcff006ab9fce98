// br (RFC 7932) through libbrotlienc.
#pragma once

#include <cstdint>
#include <memory>

#include "http/encoder.h"

namespace etagd::http {

std::unique_ptr<Encoder> make_brotli_encoder(int quality, uint64_t size_hint);

}  // namespace etagd::http
