// Taking a message head off the front of an input buffer, for both sides of the proxy.
#pragma once

#include <event2/buffer.h>

#include <string>

#include "http/head_scanner.h"

namespace etagd::http {

// Scans what `in` holds (up to `scan_limit` bytes, made contiguous first) with `scanner`.
// When the head is complete it is copied into `head` (which the parsed head's views will
// point into), drained from `in` with any empty lines before it, and the scanner is reset for
// the next head. Any other status leaves `in` and `head` as they were.
HeadScan take_head(evbuffer* in, HeadScanner& scanner, size_t scan_limit, std::string& head);

}  // namespace etagd::http
