#include "http/zstd_encoder.h"

#include <zstd.h>

namespace etagd::http {

namespace {

class ZstdEncoder final : public Encoder {
 public:
  ZstdEncoder(int level, uint64_t size_hint) : cctx_(ZSTD_createCCtx()) {
    if (cctx_ == nullptr) return;
    // RFC 9659 §3: an HTTP recipient need not decode windows above 8 MiB (windowLog 23);
    // level_range() stops at 19, whose largest window is exactly that.
    ok_ = !ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level));
    if (ok_ && size_hint != 0) {
      ok_ = !ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cctx_, size_hint));
    }
  }
  ~ZstdEncoder() override { ZSTD_freeCCtx(cctx_); }
  ZstdEncoder(const ZstdEncoder&) = delete;
  ZstdEncoder& operator=(const ZstdEncoder&) = delete;

  bool write(std::string_view input, std::string& out) override {
    return run(input, ZSTD_e_continue, out);
  }
  bool flush(std::string& out) override { return run({}, ZSTD_e_flush, out); }
  bool finish(std::string& out) override { return run({}, ZSTD_e_end, out); }

 private:
  bool run(std::string_view input, ZSTD_EndDirective mode, std::string& out) {
    if (!ok_) return false;
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    const size_t step = ZSTD_CStreamOutSize();
    // Each round takes input or fills its output step; bounded by the sizes involved.
    const size_t max_rounds = input.size() / 1024 + 64;
    for (size_t round = 0; round < max_rounds; ++round) {
      size_t old = out.size();
      out.resize(old + step);
      ZSTD_outBuffer o{out.data() + old, step, 0};
      size_t rc = ZSTD_compressStream2(cctx_, &o, &in, mode);
      out.resize(old + o.pos);
      if (ZSTD_isError(rc)) return ok_ = false;
      // continue: done once the input is taken; flush and end: once nothing remains (rc 0).
      bool taken = in.pos == in.size;
      if (mode == ZSTD_e_continue ? taken : (taken && rc == 0)) return true;
    }
    return ok_ = false;
  }

  ZSTD_CCtx* cctx_;
  bool ok_ = false;
};

}  // namespace

std::unique_ptr<Encoder> make_zstd_encoder(int level, uint64_t size_hint) {
  return std::make_unique<ZstdEncoder>(level, size_hint);
}

}  // namespace etagd::http
