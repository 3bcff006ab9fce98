// What llhttp 8.1 makes of a head, independently of etagd's own wrapper (message_head.cpp):
// the fuzz targets compare it with the scanner's verdict and with the raw lines, because the
// proxy trusts the scanner for framing and llhttp for the fields, and any disagreement between
// the two is where request smuggling lives.
#pragma once

#include <llhttp.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/head_scanner.h"

namespace etagd::fuzz {

struct LlhttpReading {
  llhttp_errno_t error = HPE_OK;  // HPE_PAUSED_UPGRADE counts as HPE_OK
  bool method_replaced = false;   // an extension method, parsed with GET in its place
  int messages = 0;               // on_message_begin calls
  int heads = 0;                  // on_headers_complete calls
  std::string url;
  std::string reason;
  int status = 0;
  int major = 0;
  int minor = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // values as llhttp delivers them
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
};

// Runs llhttp over exactly `head` (one call), telling it the message has no body. For a request
// whose method llhttp does not know, reruns with "GET" in its place, as parse_request_head does.
LlhttpReading read_with_llhttp(http::HeadKind kind, std::string_view head);

}  // namespace etagd::fuzz
