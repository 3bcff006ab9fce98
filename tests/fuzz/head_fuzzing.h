// The checks both head fuzz targets (request, response) run on every input.
#pragma once

#include <string_view>

#include "http/head_scanner.h"
#include "llhttp_reading.h"

namespace etagd::fuzz {

// Scans `input` with HeadScanner and checks it against its contract (head_scanner.h):
//  - the verdict is the same whether the bytes arrive at once or one at a time, it stays put
//    once given, and reset() starts over;
//  - it is Complete exactly when the naive reference reading (head_reference.h) finds a clean
//    head, with the same skip, length and framing, under the default limits and tight ones;
//  - a complete head scanned with limits one byte or one field too small is TooLarge;
//  - an Invalid or TooLarge verdict names a reason.
// Returns the verdict under the default limits.
http::HeadScan check_scanner(http::HeadKind kind, std::string_view input);

// For a head the scanner found Complete: llhttp parses it as one message ending exactly at
// its end, with the same framing (Content-Length, chunked), the same field lines (names as
// written, values OWS-trimmed) and the same start line. Returns llhttp's reading.
LlhttpReading check_llhttp_agrees(http::HeadKind kind, std::string_view head,
                                  const http::HeadScan& scan);

// The head's lines after the start line, without their CRLF.
template <typename Fn>
void for_each_field_line(std::string_view head, Fn&& fn) {
  size_t start = head.find("\r\n") + 2;
  while (start < head.size()) {
    size_t end = head.find("\r\n", start);
    if (end == start) return;  // the empty line that ends the head
    fn(head.substr(start, end - start));
    start = end + 2;
  }
}

}  // namespace etagd::fuzz
