// zstd (RFC 8878) through libzstd.
#pragma once

#include <cstdint>
#include <memory>

#include "http/encoder.h"

namespace etagd::http {

std::unique_ptr<Encoder> make_zstd_encoder(int level, uint64_t size_hint);

}  // namespace etagd::http
