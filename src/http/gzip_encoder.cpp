#include "http/gzip_encoder.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace etagd::http {

namespace {

// Output grows in steps of this much; the string is trimmed to what deflate wrote.
constexpr size_t kOutputStep = 16 * 1024;

class GzipEncoder final : public Encoder {
 public:
  GzipEncoder(int level, uint64_t size_hint) {
    // + 16: wrapped as gzip (RFC 1952) rather than zlib. The window is the largest (32 KiB)
    // unless the whole input is known to be smaller: then the smallest window that covers it
    // (deflate finds the same matches) and much less state to set up, which is most of the
    // cost of encoding a small body (a 2 KiB one: 119 us with 2^15, 44 us with 2^12, in
    // Python's zlib on this machine). memLevel 8 is zlib's default.
    int window_bits = 15;
    while (size_hint != 0 && window_bits > 9 && (uint64_t{1} << (window_bits - 1)) >= size_hint) {
      --window_bits;
    }
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, window_bits + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    initialized_ = ok_;
  }
  ~GzipEncoder() override {
    if (initialized_) deflateEnd(&z_);
  }
  GzipEncoder(const GzipEncoder&) = delete;
  GzipEncoder& operator=(const GzipEncoder&) = delete;

  bool write(std::string_view input, std::string& out) override {
    return run(input, Z_NO_FLUSH, out);
  }
  bool flush(std::string& out) override { return run({}, Z_SYNC_FLUSH, out); }
  bool finish(std::string& out) override { return run({}, Z_FINISH, out); }

 private:
  bool run(std::string_view input, int mode, std::string& out) {
    if (!ok_) return false;
    // zlib counts in uInt: feed larger inputs in pieces.
    constexpr size_t kMaxPiece = std::numeric_limits<uInt>::max() / 2;
    do {
      size_t piece = std::min(input.size(), kMaxPiece);
      bool last = piece == input.size();
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
      z_.avail_in = static_cast<uInt>(piece);
      if (!deflate_piece(last ? mode : Z_NO_FLUSH, out)) return ok_ = false;
      input.remove_prefix(piece);
    } while (!input.empty());
    return true;
  }

  // Runs deflate until it has taken all of avail_in and (for a flush or the finish) written
  // everything out. Each round either consumes input or fills the output step it was given,
  // so the rounds are bounded by the input and output sizes.
  bool deflate_piece(int mode, std::string& out) {
    for (;;) {
      size_t old = out.size();
      out.resize(old + kOutputStep);
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
      z_.avail_out = static_cast<uInt>(kOutputStep);
      int rc = deflate(&z_, mode);
      size_t produced = kOutputStep - z_.avail_out;
      out.resize(old + produced);
      if (rc == Z_STREAM_END) return true;
      if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
      // Done when the input is taken and deflate had room to spare: nothing is pending.
      if (z_.avail_in == 0 && z_.avail_out != 0) return mode != Z_FINISH || rc == Z_STREAM_END;
      if (rc == Z_BUF_ERROR && produced == 0) return false;  // no progress possible
    }
  }

  z_stream z_{};
  bool ok_ = false;
  bool initialized_ = false;
};

}  // namespace

std::unique_ptr<Encoder> make_gzip_encoder(int level, uint64_t size_hint) {
  return std::make_unique<GzipEncoder>(level, size_hint);
}

}  // namespace etagd::http
