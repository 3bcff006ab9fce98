// A strict decoder for the chunked transfer coding (RFC 9112 §7.1).
// etagd frames bodies itself instead of using llhttp's body parser: Debian's llhttp 8.1 accepts
// a bare CR in chunk-size lines, and a lenient chunk parser on one hop and a strict one on the
// next is exactly what request smuggling needs. Chunk extensions are checked and dropped;
// trailer fields are checked and dropped (etagd never forwards trailers). Stricter than RFC
// 9112 §7.1.1 in one place, on purpose: no white space between a chunk size and its ';'
// (`5 ;ext`). No sender needs it, and parsers that disagree about it are a smuggling vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace etagd::http {

class ChunkedDecoder {
 public:
  enum class Status { NeedMore, Done, Invalid };

  // Decodes bytes [data, data+len). Decoded body bytes go to sink(const char*, size_t).
  // `consumed` receives the number of input bytes used: on Done, bytes after the final CRLF
  // are not consumed (they belong to whatever follows the message).
  template <typename Sink>
  Status decode(const char* data, size_t len, size_t& consumed, Sink&& sink);

  void reset() { *this = ChunkedDecoder(); }
  std::string_view error() const { return error_; }
  uint64_t body_bytes() const { return body_bytes_; }
  // Body bytes decoded so far plus what the current chunk's size line announced: lets a caller
  // refuse an oversized body at its size line instead of waiting for the bytes (413 at once).
  uint64_t announced_bytes() const {
    return body_bytes_ + (state_ == State::Data ? remaining_ : 0);
  }

 private:
  enum class State {
    SizeStart, Size, Ext, SizeLF, Data, DataCR, DataLF,
    TrailerStart, Trailer, TrailerLF, FinalLF, Done, Invalid
  };
  // Handles one framing byte (everything but chunk data); returns false on a violation.
  bool step(char c);
  bool fail(std::string_view why) {
    error_ = why;
    state_ = State::Invalid;
    return false;
  }

  State state_ = State::SizeStart;
  uint64_t remaining_ = 0;  // of the current chunk
  int size_digits_ = 0;
  size_t ext_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  uint64_t body_bytes_ = 0;
  std::string_view error_;
};

template <typename Sink>
ChunkedDecoder::Status ChunkedDecoder::decode(const char* data, size_t len, size_t& consumed,
                                              Sink&& sink) {
  size_t i = 0;
  while (i < len && state_ != State::Done && state_ != State::Invalid) {
    if (state_ == State::Data) {
      size_t n = len - i;
      if (n > remaining_) n = static_cast<size_t>(remaining_);
      sink(data + i, n);
      i += n;
      remaining_ -= n;
      body_bytes_ += n;
      if (remaining_ == 0) state_ = State::DataCR;
      continue;
    }
    if (!step(data[i])) break;
    ++i;
  }
  consumed = i;
  if (state_ == State::Done) return Status::Done;
  if (state_ == State::Invalid) return Status::Invalid;
  return Status::NeedMore;
}

}  // namespace etagd::http
