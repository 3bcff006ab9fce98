// Content codings etagd produces itself (RFC 9110 §8.4.1): br (RFC 7932), zstd (RFC 8878)
// and gzip (RFC 1952), each with its Debian library (libbrotli, libzstd, zlib).
//
// An Encoder is one compressed stream: write() the body in pieces as it arrives, flush() when
// what was written so far must reach the client (a pause upstream), finish() once at the end.
// Output is appended to the caller's string, so a stored body is built in place and a
// streamed one is sent piece by piece; the encoder never holds more than its codec's window.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/content_coding.h"

namespace etagd::http {

class Encoder {
 public:
  virtual ~Encoder() = default;
  // Compresses `input`, appending the output the codec has ready to `out`. False when the
  // codec failed (it then stays failed); nothing is appended after a failure.
  virtual bool write(std::string_view input, std::string& out) = 0;
  // Appends everything written so far in a form the client can decode now (zlib's
  // Z_SYNC_FLUSH, brotli's and zstd's flush operations), at a small cost in ratio.
  virtual bool flush(std::string& out) = 0;
  // Ends the stream: the rest of the output and the coding's trailer. Called once.
  virtual bool finish(std::string& out) = 0;
};

// The levels the codecs accept: br 0-11, zstd 1-19, gzip 1-9.
struct LevelRange {
  int min = 0;
  int max = 0;
};
LevelRange level_range(ContentCoding coding);

// True for the codings make_encoder() can produce (br, zstd, gzip).
bool can_encode(ContentCoding coding);

// A fresh stream for `coding` at `level` (within level_range()). `size_hint`, when not 0, is
// the whole input's exact size: brotli and gzip then pick a window no larger than it, and
// zstd records it in its frame (a stream that then differs from it fails). Null for codings
// etagd does not produce.
std::unique_ptr<Encoder> make_encoder(ContentCoding coding, int level, uint64_t size_hint = 0);

// Appends the whole of `input` in `coding` to `out`; false on a codec failure or a coding
// etagd does not produce.
bool encode_whole(ContentCoding coding, int level, std::string_view input, std::string& out);

}  // namespace etagd::http
