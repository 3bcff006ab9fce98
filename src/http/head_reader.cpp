#include "http/head_reader.h"

#include <algorithm>

namespace etagd::http {

HeadScan take_head(evbuffer* in, HeadScanner& scanner, size_t scan_limit, std::string& head) {
  size_t scan_len = std::min(evbuffer_get_length(in), scan_limit);
  // Usually a no-op: a head arrives in one read, in one chain.
  const char* data =
      reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ev_ssize_t>(scan_len)));
  HeadScan scan = scanner.scan(std::string_view(data ? data : "", data ? scan_len : 0));
  if (scan.status == HeadScan::Status::Complete) {
    head.assign(data + scan.skip, scan.length);
    evbuffer_drain(in, scan.skip + scan.length);
    scanner.reset();
  }
  return scan;
}

}  // namespace etagd::http
