#include "http/brotli_encoder.h"

#include <brotli/encode.h>

#include <algorithm>

namespace etagd::http {

namespace {

// The window for a stream of unknown size: 2^18 bytes (256 KiB) rather than brotli's default
// 4 MiB, so a streamed response costs a bounded amount of memory per client; API bodies
// rarely repeat themselves further apart than that.
constexpr int kStreamingWindowBits = 18;

// The smallest window that covers `size` bytes (brotli's window holds 2^lgwin - 16 bytes).
int window_bits_for(uint64_t size) {
  int bits = BROTLI_MIN_WINDOW_BITS;
  while (bits < BROTLI_MAX_WINDOW_BITS && (uint64_t{1} << bits) - 16 < size) ++bits;
  return bits;
}

class BrotliEncoder final : public Encoder {
 public:
  BrotliEncoder(int quality, uint64_t size_hint)
      : state_(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr)) {
    if (state_ == nullptr) return;
    int lgwin = size_hint == 0 ? kStreamingWindowBits : window_bits_for(size_hint);
    ok_ = BrotliEncoderSetParameter(state_, BROTLI_PARAM_QUALITY, static_cast<uint32_t>(quality)) &&
          BrotliEncoderSetParameter(state_, BROTLI_PARAM_LGWIN, static_cast<uint32_t>(lgwin));
    if (ok_ && size_hint != 0) {
      BrotliEncoderSetParameter(
          state_, BROTLI_PARAM_SIZE_HINT,
          static_cast<uint32_t>(std::min<uint64_t>(size_hint, uint64_t{1} << 30)));
    }
  }
  ~BrotliEncoder() override {
    if (state_ != nullptr) BrotliEncoderDestroyInstance(state_);
  }
  BrotliEncoder(const BrotliEncoder&) = delete;
  BrotliEncoder& operator=(const BrotliEncoder&) = delete;

  bool write(std::string_view input, std::string& out) override {
    return run(input, BROTLI_OPERATION_PROCESS, out);
  }
  bool flush(std::string& out) override { return run({}, BROTLI_OPERATION_FLUSH, out); }
  bool finish(std::string& out) override { return run({}, BROTLI_OPERATION_FINISH, out); }

 private:
  // The encoder keeps its output and hands it over with BrotliEncoderTakeOutput(), so nothing
  // is copied twice. Each call either takes input or makes output; the bound on the rounds
  // (one per 1 KiB of input, plus some for the flush) is far above what brotli needs.
  bool run(std::string_view input, BrotliEncoderOperation op, std::string& out) {
    if (!ok_) return false;
    size_t avail_in = input.size();
    const uint8_t* next_in = reinterpret_cast<const uint8_t*>(input.data());
    size_t avail_out = 0;
    uint8_t* next_out = nullptr;
    const size_t max_rounds = input.size() / 1024 + 64;
    for (size_t round = 0; round < max_rounds; ++round) {
      if (!BrotliEncoderCompressStream(state_, op, &avail_in, &next_in, &avail_out, &next_out,
                                       nullptr)) {
        return ok_ = false;
      }
      while (BrotliEncoderHasMoreOutput(state_)) {
        size_t n = 0;
        const uint8_t* p = BrotliEncoderTakeOutput(state_, &n);
        out.append(reinterpret_cast<const char*>(p), n);
      }
      if (avail_in != 0) continue;
      if (op != BROTLI_OPERATION_FINISH || BrotliEncoderIsFinished(state_)) return true;
    }
    return ok_ = false;
  }

  BrotliEncoderState* state_;
  bool ok_ = false;
};

}  // namespace

std::unique_ptr<Encoder> make_brotli_encoder(int quality, uint64_t size_hint) {
  return std::make_unique<BrotliEncoder>(quality, size_hint);
}

}  // namespace etagd::http
