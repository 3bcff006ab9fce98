#include "head_fuzzing.h"

#include "fuzz_check.h"
#include "head_reference.h"
#include "http/token.h"

namespace etagd::fuzz {

namespace {

using http::HeadKind;
using http::HeadLimits;
using http::HeadScan;
using http::HeadScanner;

bool same_verdict(const HeadScan& a, const HeadScan& b) {
  return a.status == b.status && a.skip == b.skip && a.length == b.length && a.reason == b.reason &&
         a.content_length == b.content_length && a.chunked == b.chunked;
}

HeadScan scan_byte_by_byte(HeadScanner& scanner, std::string_view input) {
  HeadScan r = scanner.scan(input.substr(0, 0));
  for (size_t n = 1; n <= input.size() && r.status == HeadScan::Status::NeedMore; ++n) {
    r = scanner.scan(input.substr(0, n));
  }
  return r;
}

void check_against_reference(HeadKind kind, HeadLimits limits, std::string_view input,
                             const HeadScan& scan) {
  ReferenceHead ref = reference_scan(kind, limits, input);
  FUZZ_CHECK(ref.complete == (scan.status == HeadScan::Status::Complete));
  if (!ref.complete) return;
  FUZZ_CHECK(scan.skip == ref.skip);
  FUZZ_CHECK(scan.length == ref.length);
  FUZZ_CHECK(scan.content_length == ref.content_length);
  FUZZ_CHECK(scan.chunked == ref.chunked);
}

HeadScan scan_once(HeadKind kind, HeadLimits limits, std::string_view input) {
  HeadScanner scanner(kind, limits);
  return scanner.scan(input);
}

std::string_view start_line_of(std::string_view head) { return head.substr(0, head.find("\r\n")); }

// llhttp 8.1 knows HTTP/1.0 and 1.1 only, where the scanner passes any HTTP/1.x (RFC 9112 §2.3
// lets a server answer a higher minor version as 1.1); it checks the grammar of targets etagd
// refuses anyway for not being origin-form; and it takes any request with the method PRI for
// the start of the HTTP/2 preface (RFC 9113 §3.4 reserves the method for it).
bool refusal_expected(HeadKind kind, std::string_view head, llhttp_errno_t error) {
  std::string_view line = start_line_of(head);
  if (kind == HeadKind::Request && line.starts_with("PRI ")) return true;
  if (error == HPE_INVALID_VERSION) {
    std::string_view version =
        kind == HeadKind::Request ? line.substr(line.size() - 8) : line.substr(0, 8);
    return version != "HTTP/1.0" && version != "HTTP/1.1";
  }
  if (error == HPE_INVALID_URL && kind == HeadKind::Request) {
    return line[line.find(' ') + 1] != '/';
  }
  return false;
}

}  // namespace

HeadScan check_scanner(HeadKind kind, std::string_view input) {
  const HeadLimits limits;
  HeadScanner scanner(kind, limits);
  const HeadScan at_once = scanner.scan(input);
  FUZZ_CHECK(same_verdict(scanner.scan(input), at_once));  // a verdict stays put

  HeadScanner incremental(kind, limits);
  FUZZ_CHECK(same_verdict(scan_byte_by_byte(incremental, input), at_once));
  incremental.reset();
  FUZZ_CHECK(same_verdict(incremental.scan(input), at_once));

  switch (at_once.status) {
    case HeadScan::Status::NeedMore:
      FUZZ_CHECK(input.size() < limits.max_bytes);
      break;
    case HeadScan::Status::Complete:
      FUZZ_CHECK(at_once.skip + at_once.length <= limits.max_bytes);
      FUZZ_CHECK(input.substr(at_once.skip + at_once.length - 4, 4) == "\r\n\r\n");
      break;
    case HeadScan::Status::Invalid:
    case HeadScan::Status::TooLarge:
      FUZZ_CHECK(!at_once.reason.empty());
      FUZZ_CHECK(!at_once.content_length && !at_once.chunked && at_once.length == 0);
      break;
  }
  check_against_reference(kind, limits, input, at_once);

  // Tight limits put the limit checks inside the inputs the fuzzer makes (which are far
  // shorter than the default 16 KiB).
  const HeadLimits tight{1 + input.size() / 2, 2};
  check_against_reference(kind, tight, input, scan_once(kind, tight, input));

  if (at_once.status == HeadScan::Status::Complete) {
    const size_t bytes = at_once.skip + at_once.length;
    const size_t fields = reference_scan(kind, limits, input).fields;
    FUZZ_CHECK(same_verdict(scan_once(kind, HeadLimits{bytes, fields}, input), at_once));
    FUZZ_CHECK(scan_once(kind, HeadLimits{bytes - 1, fields}, input).status ==
               HeadScan::Status::TooLarge);
    if (fields > 0) {
      FUZZ_CHECK(scan_once(kind, HeadLimits{bytes, fields - 1}, input).status ==
                 HeadScan::Status::TooLarge);
    }
  }
  return at_once;
}

LlhttpReading check_llhttp_agrees(HeadKind kind, std::string_view head, const HeadScan& scan) {
  LlhttpReading ll = read_with_llhttp(kind, head);
  if (ll.error != HPE_OK) {
    // etagd answers 400/502 to whatever llhttp refuses, which is safe; the refusals listed in
    // refusal_expected() are where llhttp is stricter than the scanner by design. Any other
    // would be a request or response etagd turns away for no reason the scanner knows.
    if (!refusal_expected(kind, head, ll.error)) {
      std::fprintf(stderr, "llhttp refused a head the scanner accepted: %s\n",
                   llhttp_errno_name(ll.error));
    }
    FUZZ_CHECK(refusal_expected(kind, head, ll.error));
    return ll;
  }
  if (ll.heads == 0) {
    // llhttp stopped without finishing the head: only a PRI request line does that (llhttp
    // waits for the rest of an HTTP/2 preface), and parse_request_head refuses such a head.
    FUZZ_CHECK(kind == HeadKind::Request && start_line_of(head).starts_with("PRI "));
    return ll;
  }
  FUZZ_CHECK(ll.messages == 1);
  FUZZ_CHECK(ll.heads == 1);
  FUZZ_CHECK(ll.chunked == scan.chunked);
  FUZZ_CHECK(ll.has_content_length == scan.content_length.has_value());
  if (scan.content_length) FUZZ_CHECK(ll.content_length == *scan.content_length);

  size_t i = 0;
  for_each_field_line(head, [&](std::string_view line) {
    FUZZ_CHECK(i < ll.fields.size());
    size_t colon = line.find(':');
    FUZZ_CHECK(ll.fields[i].first == line.substr(0, colon));
    FUZZ_CHECK(http::trim_ows(ll.fields[i].second) == http::trim_ows(line.substr(colon + 1)));
    ++i;
  });
  FUZZ_CHECK(i == ll.fields.size());

  std::string_view line = start_line_of(head);
  FUZZ_CHECK(ll.major == 1);
  if (kind == HeadKind::Request) {
    size_t sp1 = line.find(' ');
    size_t sp2 = line.find(' ', sp1 + 1);
    FUZZ_CHECK(ll.url == line.substr(sp1 + 1, sp2 - sp1 - 1));
    FUZZ_CHECK(ll.minor == line.back() - '0');
  } else {
    FUZZ_CHECK(ll.minor == line[7] - '0');
    FUZZ_CHECK(ll.status == (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0'));
    FUZZ_CHECK(ll.reason == (line.size() > 13 ? line.substr(13) : std::string_view()));
  }
  return ll;
}

}  // namespace etagd::fuzz
