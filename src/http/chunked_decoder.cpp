#include "http/chunked_decoder.h"

#include "base/hex.h"
#include "http/token.h"

namespace etagd::http {

namespace {
constexpr int kMaxSizeDigits = 15;            // 2^60: far above any body limit, no overflow
constexpr size_t kMaxExtensionBytes = 4096;   // per chunk
constexpr size_t kMaxTrailerBytes = 16 * 1024;

// Bytes allowed in chunk extensions: token characters, the separators of
// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ), and quoted-string content.
bool is_extension_byte(unsigned char c) {
  return is_token_char(c) || c == ';' || c == '=' || c == ' ' || c == '\t' || c == '"' ||
         c == '\\' || (c >= 0x20 && c != 0x7f);
}

bool is_field_byte(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }
}  // namespace

bool ChunkedDecoder::step(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  switch (state_) {
    case State::SizeStart:
    case State::Size: {
      int v = base::hex_value(ch);
      if (v >= 0) {
        if (++size_digits_ > kMaxSizeDigits) return fail("chunk size too large");
        remaining_ = remaining_ * 16 + static_cast<uint64_t>(v);
        state_ = State::Size;
        return true;
      }
      if (state_ == State::SizeStart) return fail("invalid chunk size");
      if (ch == ';') {
        state_ = State::Ext;
        return true;
      }
      if (ch == '\r') {
        state_ = State::SizeLF;
        return true;
      }
      return fail("invalid chunk size");
    }
    case State::Ext:
      if (ch == '\r') {
        state_ = State::SizeLF;
        return true;
      }
      if (!is_extension_byte(c)) return fail("invalid chunk extension");
      if (++ext_bytes_ > kMaxExtensionBytes) return fail("chunk extension too long");
      return true;
    case State::SizeLF:
      if (ch != '\n') return fail("bare CR in chunk size line");
      size_digits_ = 0;
      ext_bytes_ = 0;
      state_ = remaining_ == 0 ? State::TrailerStart : State::Data;
      return true;
    case State::DataCR:
      if (ch != '\r') return fail("chunk data longer than its size");
      state_ = State::DataLF;
      return true;
    case State::DataLF:
      if (ch != '\n') return fail("bare CR after chunk data");
      state_ = State::SizeStart;
      return true;
    case State::TrailerStart:
      if (ch == '\r') {
        state_ = State::FinalLF;
        return true;
      }
      if (!is_token_char(c)) return fail("invalid trailer field");
      state_ = State::Trailer;
      return ++trailer_bytes_ <= kMaxTrailerBytes || fail("trailer section too large");
    case State::Trailer:
      if (ch == '\r') {
        state_ = State::TrailerLF;
        return true;
      }
      if (!is_field_byte(c)) return fail("invalid byte in trailer field");
      return ++trailer_bytes_ <= kMaxTrailerBytes || fail("trailer section too large");
    case State::TrailerLF:
      if (ch != '\n') return fail("bare CR in trailer field");
      state_ = State::TrailerStart;
      return true;
    case State::FinalLF:
      if (ch != '\n') return fail("bare CR at end of chunked body");
      state_ = State::Done;
      return true;
    case State::Data:
    case State::Done:
    case State::Invalid:
      break;
  }
  return fail("chunked decoder misuse");
}

}  // namespace etagd::http
