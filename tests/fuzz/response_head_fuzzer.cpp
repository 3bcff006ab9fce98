// Fuzz target: an upstream's response head, as upstream_connection.cpp reads it: raw bytes into
// HeadScanner (Response kind), and when it says Complete, into parse_response_head. The
// upstream is a fragile legacy server, possibly a compromised one: whatever it sends must
// neither crash etagd nor be framed differently by the scanner and llhttp (that would
// desynchronise a pooled connection and hand one client's response to another).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "head_fuzzing.h"
#include "http/message_head.h"
#include "http/token.h"

using etagd::fuzz::check_llhttp_agrees;
using etagd::fuzz::check_scanner;
using etagd::http::HeadKind;
using etagd::http::HeadScan;
using etagd::http::ResponseHead;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  HeadScan scan = check_scanner(HeadKind::Response, input);
  if (scan.status != HeadScan::Status::Complete) return 0;
  std::string_view head = input.substr(scan.skip, scan.length);
  etagd::fuzz::LlhttpReading ll = check_llhttp_agrees(HeadKind::Response, head, scan);

  // parse_response_head accepts exactly what llhttp accepts: the scanner already checked the
  // rest, and a status outside 100-599 never gets this far.
  ResponseHead resp;
  std::string_view error = etagd::http::parse_response_head(head, scan, resp);
  FUZZ_CHECK(error.empty() == (ll.error == HPE_OK));
  if (!error.empty()) return 0;
  FUZZ_CHECK(resp.status >= 100 && resp.status <= 599);
  FUZZ_CHECK(resp.status == ll.status);
  FUZZ_CHECK(resp.reason == ll.reason);
  FUZZ_CHECK(resp.version_minor == ll.minor);
  FUZZ_CHECK(resp.content_length == scan.content_length);
  FUZZ_CHECK(resp.chunked == scan.chunked);
  FUZZ_CHECK(resp.headers.size() == ll.fields.size());
  if (!resp.headers.contains("connection")) {
    FUZZ_CHECK(resp.keep_alive == (resp.version_minor >= 1));
  }
  size_t i = 0;
  for (const auto& f : resp.headers) {
    FUZZ_CHECK(f.name == ll.fields[i].first);
    FUZZ_CHECK(f.value == etagd::http::trim_ows(ll.fields[i].second));
    ++i;
  }

  // Parsed again into the same (reused) object: the same result.
  ResponseHead again = resp;
  FUZZ_CHECK(etagd::http::parse_response_head(head, scan, again).empty());
  FUZZ_CHECK(again.status == resp.status && again.headers.size() == resp.headers.size() &&
             again.keep_alive == resp.keep_alive && again.reason == resp.reason);
  return 0;
}
