// Fuzz target: a client's request head, as the proxy reads it (client_connection.cpp):
// raw bytes into HeadScanner, and when it says Complete, into parse_request_head.
// Besides not crashing: the scanner keeps its contract (head_fuzzing.h), llhttp reads the head
// the scanner accepted the same way, a request parse_request_head accepts is one the rest of
// the proxy can trust (origin-form target with a normal path, a single valid Host, framing from
// the scanner, the fields llhttp saw), and its cache key names exactly its host and target.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cache/cache_key.h"
#include "fuzz_check.h"
#include "head_fuzzing.h"
#include "http/message_head.h"
#include "http/path_normalisation.h"
#include "http/token.h"

using etagd::fuzz::check_llhttp_agrees;
using etagd::fuzz::check_scanner;
using etagd::http::HeadKind;
using etagd::http::HeadScan;
using etagd::http::RequestHead;

namespace {

bool inside(std::string_view outer, std::string_view part) {
  return part.empty() ||
         (part.data() >= outer.data() && part.data() + part.size() <= outer.data() + outer.size());
}

bool same_request(const RequestHead& a, const RequestHead& b) {
  if (a.headers.size() != b.headers.size()) return false;
  for (auto ia = a.headers.begin(), ib = b.headers.begin(); ia != a.headers.end(); ++ia, ++ib) {
    if (ia->name != ib->name || ia->value != ib->value) return false;
  }
  return a.method == b.method && a.method_token == b.method_token && a.target == b.target &&
         a.raw_target == b.raw_target &&
         a.path == b.path && a.query == b.query && a.version_minor == b.version_minor &&
         a.host == b.host && a.content_length == b.content_length && a.chunked == b.chunked &&
         a.keep_alive == b.keep_alive && a.expect_continue == b.expect_continue;
}

// What the rest of the proxy relies on once parse_request_head said yes.
void check_accepted(std::string_view head, const HeadScan& scan, const RequestHead& req) {
  FUZZ_CHECK(req.method_token == head.substr(0, head.find(' ')));
  FUZZ_CHECK(req.method == etagd::http::parse_method(req.method_token));
  FUZZ_CHECK(req.method != etagd::http::Method::Connect);
  FUZZ_CHECK(!req.target.empty() && req.target[0] == '/');
  FUZZ_CHECK(req.path.find('?') == std::string_view::npos);
  FUZZ_CHECK(req.path.find('#') == std::string_view::npos);
  // The path rules, the cache and the upstream get is normal: no dot segment, no empty
  // segment but a trailing one, and normalising it again changes nothing. The query is the
  // one sent, and only a path that needed it was copied.
  std::string again;
  FUZZ_CHECK(etagd::http::normalise_path(req.path, again) ==
             etagd::http::PathNormalisation::Unchanged);
  FUZZ_CHECK(req.path.find("//") == std::string_view::npos);
  FUZZ_CHECK(req.path.find("/./") == std::string_view::npos);
  FUZZ_CHECK(req.path.find("/../") == std::string_view::npos);
  FUZZ_CHECK(!req.path.ends_with("/.") && !req.path.ends_with("/.."));
  std::string_view raw_query = req.raw_target.substr(std::min(req.raw_target.size(),
                                                              req.raw_target.find('?')));
  FUZZ_CHECK(req.target.ends_with(raw_query));
  if (req.normalised_target == nullptr) {
    FUZZ_CHECK(req.target.data() == req.raw_target.data() && req.target == req.raw_target);
  } else {
    FUZZ_CHECK(req.target == *req.normalised_target && req.target != req.raw_target);
    FUZZ_CHECK(req.target.size() < req.raw_target.size());
  }
  if (req.path.size() < req.target.size()) {
    FUZZ_CHECK(req.target[req.path.size()] == '?');
    FUZZ_CHECK(req.query == req.target.substr(req.path.size() + 1));
  } else {
    FUZZ_CHECK(req.query.empty());
  }
  FUZZ_CHECK(req.version_minor >= 0 && req.version_minor <= 9);
  // Host: exactly one in HTTP/1.1, at most one in 1.0, and nothing in it that could carry
  // another authority, a path or white space into rule matching and the cache key.
  size_t hosts = req.headers.count("host");
  FUZZ_CHECK(hosts <= 1);
  if (req.version_minor >= 1) FUZZ_CHECK(hosts == 1);
  FUZZ_CHECK(req.host == req.headers.get("host"));
  FUZZ_CHECK(req.host.find_first_of(" \t/?#@\\\"<>") == std::string_view::npos);
  for (char c : req.host) FUZZ_CHECK(static_cast<unsigned char>(c) < 0x80);
  FUZZ_CHECK(req.content_length == scan.content_length);
  FUZZ_CHECK(req.chunked == scan.chunked);
  FUZZ_CHECK(!(req.chunked && req.version_minor == 0));
  if (!req.headers.contains("connection")) {
    FUZZ_CHECK(req.keep_alive == (req.version_minor >= 1));
  }
  if (req.expect_continue) FUZZ_CHECK(req.version_minor >= 1);
  for (const auto& f : req.headers) {
    FUZZ_CHECK(inside(head, f.name) && inside(head, f.value));
    FUZZ_CHECK(etagd::http::is_token(f.name));
    FUZZ_CHECK(f.value == etagd::http::trim_ows(f.value));
  }
  FUZZ_CHECK(inside(head, req.raw_target) && inside(head, req.host) &&
             inside(head, req.method_token));
}

// The cache key of an accepted request names its host and target and nothing else: the host
// part (up to the first '/') decodes back to the lowercased Host without a default port, and
// the rest is the target as sent. Two requests that share a key therefore share both, which
// is what keeps one site's (or one path's) response from being served for another.
void check_cache_key(const RequestHead& req) {
  std::string key = etagd::cache::make_url_key(req.host, req.target);
  size_t slash = key.find('/');
  FUZZ_CHECK(slash != std::string::npos);
  FUZZ_CHECK(std::string_view(key).substr(slash) == req.target);
  std::string host;
  for (size_t i = 0; i < slash; ++i) {
    if (key[i] != '%') {
      FUZZ_CHECK(key[i] != '?');
      host += key[i];
      continue;
    }
    std::string_view escape = std::string_view(key).substr(i, 3);
    FUZZ_CHECK(escape == "%2f" || escape == "%3f" || escape == "%25");
    host += escape == "%2f" ? '/' : escape == "%3f" ? '?' : '%';
    i += 2;
  }
  std::string_view expected = req.host;
  if (expected.ends_with(":80")) {
    expected.remove_suffix(3);
  } else if (expected.ends_with(':')) {
    expected.remove_suffix(1);
  }
  FUZZ_CHECK(host == etagd::http::lowercase(expected));
  FUZZ_CHECK(etagd::cache::url_key_path(key) == req.path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  HeadScan scan = check_scanner(HeadKind::Request, input);
  if (scan.status != HeadScan::Status::Complete) return 0;
  std::string_view head = input.substr(scan.skip, scan.length);
  etagd::fuzz::LlhttpReading ll = check_llhttp_agrees(HeadKind::Request, head, scan);

  RequestHead req;
  std::string_view error = etagd::http::parse_request_head(head, scan, req);
  if (ll.error != HPE_OK || ll.heads == 0) FUZZ_CHECK(!error.empty());
  if (error.empty()) {
    check_accepted(head, scan, req);
    check_cache_key(req);
    // The fields and target etagd uses are the ones llhttp read (for an extension method,
    // message_head.cpp parses a copy and moves the views back: they must land on the same bytes).
    FUZZ_CHECK(req.raw_target == ll.url);
    FUZZ_CHECK(req.headers.size() == ll.fields.size());
    size_t i = 0;
    for (const auto& f : req.headers) {
      FUZZ_CHECK(f.name == ll.fields[i].first);
      FUZZ_CHECK(f.value == etagd::http::trim_ows(ll.fields[i].second));
      ++i;
    }
  }

  // A connection reuses one RequestHead for all its requests: a head parsed after another
  // must come out exactly as if parsed first.
  static constexpr std::string_view kOther =
      "POST /previous?x=1 HTTP/1.1\r\nHost: other.example\r\nContent-Length: 5\r\n"
      "Connection: close\r\nExpect: 100-continue\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  etagd::http::HeadScanner other_scanner(HeadKind::Request, {});
  HeadScan other_scan = other_scanner.scan(kOther);
  RequestHead reused;
  FUZZ_CHECK(etagd::http::parse_request_head(kOther, other_scan, reused).empty());
  FUZZ_CHECK(etagd::http::parse_request_head(head, scan, reused) == error);
  if (error.empty()) FUZZ_CHECK(same_request(req, reused));
  return 0;
}
