// Fuzz target: ChunkedDecoder (src/http/chunked_decoder.h), which frames every chunked body
// etagd reads, from clients and from the upstream. Two checks per input:
//  1. the input as a chunked body: the decoder gives the same status, body, consumed count and
//     error whether the bytes arrive at once, one by one, or in two pieces, and never consumes
//     bytes after the final CRLF;
//  2. the input as a body to encode: encoded in chunks of varied sizes, with extensions and
//     trailers, it decodes back to the same bytes and stops exactly at the end of the message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/chunked_decoder.h"

using etagd::http::ChunkedDecoder;

namespace {

struct Decoded {
  ChunkedDecoder::Status status = ChunkedDecoder::Status::NeedMore;
  size_t consumed = 0;
  std::string body;
  std::string_view error;
  uint64_t body_bytes = 0;
};

// Feeds `input` in pieces of at most `piece` bytes, as reads from a socket would.
// announced_bytes() (what the 413 check reads) never shrinks, never falls behind the bytes
// decoded, and in a complete message never promised more than the body turned out to be.
Decoded decode(std::string_view input, size_t piece) {
  ChunkedDecoder decoder;
  Decoded d;
  uint64_t announced = 0;
  while (d.consumed < input.size()) {
    std::string_view part = input.substr(d.consumed, piece);
    size_t used = 0;
    d.status = decoder.decode(part.data(), part.size(), used,
                              [&](const char* p, size_t n) { d.body.append(p, n); });
    FUZZ_CHECK(used <= part.size());
    d.consumed += used;
    FUZZ_CHECK(decoder.announced_bytes() >= decoder.body_bytes());
    if (d.status != ChunkedDecoder::Status::Invalid) {
      FUZZ_CHECK(decoder.announced_bytes() >= announced);
      announced = decoder.announced_bytes();
    }
    if (d.status != ChunkedDecoder::Status::NeedMore) break;
    FUZZ_CHECK(used == part.size());  // NeedMore means every byte was used
  }
  if (d.status == ChunkedDecoder::Status::Done) FUZZ_CHECK(announced == d.body.size());
  d.error = decoder.error();
  d.body_bytes = decoder.body_bytes();
  return d;
}

bool same(const Decoded& a, const Decoded& b) {
  return a.status == b.status && a.consumed == b.consumed && a.body == b.body &&
         a.error == b.error && a.body_bytes == b.body_bytes;
}

void check_decoding(std::string_view input) {
  Decoded whole = decode(input, input.size() + 1);
  FUZZ_CHECK(whole.body_bytes == whole.body.size());
  FUZZ_CHECK(whole.body.size() <= input.size());
  switch (whole.status) {
    case ChunkedDecoder::Status::Done:
      FUZZ_CHECK(whole.consumed >= 5);  // "0\r\n\r\n"
      FUZZ_CHECK(input.substr(whole.consumed - 2, 2) == "\r\n");
      FUZZ_CHECK(whole.error.empty());
      break;
    case ChunkedDecoder::Status::Invalid:
      FUZZ_CHECK(!whole.error.empty());
      break;
    case ChunkedDecoder::Status::NeedMore:
      FUZZ_CHECK(whole.consumed == input.size());
      FUZZ_CHECK(whole.error.empty());
      break;
  }
  FUZZ_CHECK(same(decode(input, 1), whole));
  if (input.size() > 1) {
    size_t first = static_cast<unsigned char>(input[0]) % input.size() + 1;
    FUZZ_CHECK(same(decode(input, first), whole));
  }
  // A decoded body, encoded again in one chunk, decodes to itself.
  if (whole.status == ChunkedDecoder::Status::Done && !whole.body.empty()) {
    char size[32];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", whole.body.size());
    std::string again = std::string(size, static_cast<size_t>(n)) + whole.body + "\r\n0\r\n\r\n";
    Decoded d = decode(again, again.size());
    FUZZ_CHECK(d.status == ChunkedDecoder::Status::Done && d.body == whole.body);
  }
}

// xorshift64: a deterministic stream of choices, seeded from the input, so a crash replays.
struct Choices {
  uint64_t state;
  uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

std::string hex_size(size_t n, Choices& c) {
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  const char* digits = c.below(2) ? kLower : kUpper;
  std::string out;
  do {
    out.insert(out.begin(), digits[n % 16]);
    n /= 16;
  } while (n > 0);
  // Leading zeros are valid, up to the decoder's 15-digit limit.
  out.insert(0, c.below(15 - out.size() + 1), '0');
  return out;
}

std::string extension(Choices& c) {
  switch (c.below(4)) {
    case 0:
      return "";
    case 1:
      return ";name";
    case 2:
      return "; name = value";
    default:
      return ";q=\"quoted, with \\\" escapes\"";
  }
}

void check_round_trip(std::string_view body, uint64_t seed) {
  Choices c{seed | 1};
  std::string encoded;
  size_t at = 0;
  while (at < body.size()) {
    size_t n = 1 + c.below(c.below(4) == 0 ? body.size() - at : 17);
    if (n > body.size() - at) n = body.size() - at;
    encoded += hex_size(n, c) + extension(c) + "\r\n";
    encoded.append(body.substr(at, n));
    encoded += "\r\n";
    at += n;
  }
  encoded += hex_size(0, c) + extension(c) + "\r\n";
  if (c.below(2)) encoded += "Trailer-Field: value\r\nX-Checksum:\tabc \r\n";
  encoded += "\r\n";
  const size_t message_size = encoded.size();
  encoded += "GET /next HTTP/1.1\r\n";  // the next message on the connection, not consumed

  Decoded whole = decode(encoded, encoded.size());
  FUZZ_CHECK(whole.status == ChunkedDecoder::Status::Done);
  FUZZ_CHECK(whole.consumed == message_size);
  FUZZ_CHECK(whole.body == body);
  FUZZ_CHECK(same(decode(encoded, 1 + c.below(64)), whole));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_decoding(input);
  uint64_t seed = size;
  for (size_t i = 0; i < size && i < 8; ++i) seed = seed * 131 + data[i];
  check_round_trip(input, seed);
  return 0;
}
