#include "support/content_decoding.h"

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <memory>

namespace etagd::test {

namespace {

std::optional<std::string> gunzip(std::string_view in) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return std::nullopt;  // gzip wrapper only
  std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  for (size_t round = 0; round < in.size() + 1024 * 1024; ++round) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    int rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_STREAM_END) {
      if (z.avail_in != 0) return std::nullopt;  // bytes after the stream
      return out;
    }
    if (rc != Z_OK) return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> unbrotli(std::string_view in) {
  std::unique_ptr<BrotliDecoderState, void (*)(BrotliDecoderState*)> s(
      BrotliDecoderCreateInstance(nullptr, nullptr, nullptr), BrotliDecoderDestroyInstance);
  if (!s) return std::nullopt;
  size_t avail_in = in.size();
  const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
  std::string out;
  uint8_t buf[16384];
  for (size_t round = 0; round < in.size() + 1024 * 1024; ++round) {
    size_t avail_out = sizeof buf;
    uint8_t* next_out = buf;
    BrotliDecoderResult rc =
        BrotliDecoderDecompressStream(s.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out.append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
    if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
      if (avail_in != 0) return std::nullopt;
      return out;
    }
    if (rc != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) return std::nullopt;  // error or truncated
  }
  return std::nullopt;
}

std::optional<std::string> unzstd(std::string_view in) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!d) return std::nullopt;
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  std::string out;
  char buf[16384];
  size_t rc = 1;
  for (size_t round = 0; round < in.size() + 1024 * 1024; ++round) {
    ZSTD_outBuffer ob{buf, sizeof buf, 0};
    rc = ZSTD_decompressStream(d.get(), &ob, &ib);
    if (ZSTD_isError(rc)) return std::nullopt;
    out.append(buf, ob.pos);
    // rc 0: a frame is complete. Anything after it would be another frame: not ours.
    if (rc == 0) return ib.pos == ib.size ? std::optional<std::string>(out) : std::nullopt;
    if (ib.pos == ib.size && ob.pos < ob.size) return std::nullopt;  // truncated
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> decode_body(std::string_view coding, std::string_view encoded) {
  if (coding == "gzip") return gunzip(encoded);
  if (coding == "br") return unbrotli(encoded);
  if (coding == "zstd") return unzstd(encoded);
  return std::nullopt;
}

}  // namespace etagd::test
