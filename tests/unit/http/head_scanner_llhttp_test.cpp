// Differential test: whatever HeadScanner accepts, llhttp 8.1 must read the same way.
// The scanner exists because llhttp 8.1 is lenient; the proxy trusts llhttp for the head's
// fields and the scanner for its framing. If the two ever disagreed on where a head ends or
// how its body is framed, that disagreement would be a smuggling hole. So random mutations of
// real heads (with the bytes that smuggling uses: CR, LF, SP, HTAB, NUL, ',', ':') are run
// through both, and every head the scanner calls Complete must parse in llhttp as exactly one
// head of exactly that length, with the same Content-Length and chunked framing.
#include <doctest/doctest.h>
#include <llhttp.h>

#include <random>
#include <string>
#include <vector>

#include "http/head_scanner.h"

using etagd::http::HeadKind;
using etagd::http::HeadLimits;
using etagd::http::HeadScan;
using etagd::http::HeadScanner;

namespace {

struct LlhttpResult {
  bool ok = false;
  int messages = 0;
  int heads = 0;
  uint64_t content_length = 0;
  bool has_content_length = false;
  bool chunked = false;
};

int count_message(llhttp_t* p) {
  ++static_cast<LlhttpResult*>(p->data)->messages;
  return 0;
}

int on_head(llhttp_t* p) {
  auto* r = static_cast<LlhttpResult*>(p->data);
  ++r->heads;
  r->has_content_length = (p->flags & F_CONTENT_LENGTH) != 0;
  r->content_length = p->content_length;
  r->chunked = (p->flags & F_CHUNKED) != 0;
  return 1;  // no body: the head alone is under test
}

LlhttpResult run_llhttp(HeadKind kind, std::string_view head) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_message_begin = count_message;
  settings.on_headers_complete = on_head;
  llhttp_t parser;
  llhttp_init(&parser, kind == HeadKind::Request ? HTTP_REQUEST : HTTP_RESPONSE, &settings);
  LlhttpResult r;
  parser.data = &r;
  llhttp_errno_t err = llhttp_execute(&parser, head.data(), head.size());
  r.ok = err == HPE_OK;
  return r;
}

// Checks one input; returns true if both accepted it (and so were compared).
// llhttp may refuse what the scanner accepted (it knows a fixed list of methods, for one):
// the proxy then answers 400, which is safe. Reading the head differently is not.
bool check_agreement(HeadKind kind, const std::string& input) {
  HeadScanner scanner(kind, HeadLimits{});
  HeadScan scan = scanner.scan(input);
  if (scan.status != HeadScan::Status::Complete) return false;
  std::string_view head = std::string_view(input).substr(scan.skip, scan.length);
  LlhttpResult ll = run_llhttp(kind, head);
  if (!ll.ok) return false;
  CAPTURE(input);
  CHECK(ll.messages == 1);
  CHECK(ll.heads == 1);
  CHECK(ll.chunked == scan.chunked);
  CHECK(ll.has_content_length == scan.content_length.has_value());
  if (scan.content_length) CHECK(ll.content_length == *scan.content_length);
  return true;
}

const std::vector<std::string> kRequestSeeds = {
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "POST /p?q=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 12\r\n\r\n",
    "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n",
    "GET /a HTTP/1.0\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n",
    "DELETE /r HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n",
};

const std::vector<std::string> kResponseSeeds = {
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: x\r\n\r\n",
    "HTTP/1.0 304 Not Modified\r\nETag: \"a\"\r\n\r\n",
    "HTTP/1.1 404 Not\tFound\r\nContent-Length: 10\r\nContent-Length: 10\r\n\r\n",
};

// Bytes and fragments that smuggling payloads are made of.
// clang-format off
const std::vector<std::string> kFragments = {
    "\r",  "\n",      "\r\n",    " ",        "\t",     std::string(1, '\0'), ",", ":",
    "\x7f", "\x80",   "\xff",    "chunked",  "0",      "1",      "+",       "-",
    "\r\n ", "\r\n\t", "Transfer-Encoding: ", "Content-Length: ", "\r\n\r\n", "HTTP/1.1",
    "\"",  "x",       "\x0b",    "\x0c",
};
// clang-format on

std::string mutate(std::string s, std::mt19937& rng) {
  int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
    const std::string& frag = kFragments[rng() % kFragments.size()];
    switch (rng() % 3) {
      case 0:  // insert
        s.insert(at, frag);
        break;
      case 1:  // replace one byte
        if (at < s.size()) s.replace(at, 1, frag);
        break;
      default:  // delete a few bytes
        if (at < s.size()) s.erase(at, 1 + rng() % 3);
        break;
    }
  }
  return s;
}

void run_differential(HeadKind kind, const std::vector<std::string>& seeds, uint32_t seed) {
  std::mt19937 rng(seed);
  int accepted = 0;  // heads both parsers accepted and agreed on
  for (const std::string& s : seeds) accepted += check_agreement(kind, s);
  for (int i = 0; i < 60000; ++i) {
    accepted += check_agreement(kind, mutate(seeds[rng() % seeds.size()], rng));
  }
  // The mutations must leave enough heads intact for the comparison to mean something.
  CHECK(accepted > 2000);
}

}  // namespace

TEST_CASE("every request head the scanner accepts is read the same way by llhttp") {
  run_differential(HeadKind::Request, kRequestSeeds, 1);
}

TEST_CASE("every response head the scanner accepts is read the same way by llhttp") {
  run_differential(HeadKind::Response, kResponseSeeds, 2);
}

TEST_CASE("heads llhttp 8.1 wrongly accepts are refused by the scanner") {
  // Each of these parses without error in llhttp 8.1 (shown first), and is Invalid here.
  const std::vector<std::string> lenient = {
      "GET / HTTP/1.1\r\nX-Abc: \rxTransfer-Encoding: chunked\r\n\r\n",  // CVE-2023-30589
      "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",                            // obs-fold
      "GET / HTTP/1.1\r\n: empty\r\n\r\n",                               // empty field name
      "GET / HTTP/1.1\r\nHost: a\r\n\rZ",                                // \r\n\rZ ends head
      "GET / HTTP/1.1\r\nTransfer-Encoding: ,chunked\r\n\r\n",
  };
  for (const std::string& head : lenient) {
    CAPTURE(head);
    LlhttpResult ll = run_llhttp(HeadKind::Request, head);
    CHECK(ll.ok);
    CHECK(ll.heads == 1);
    HeadScanner scanner(HeadKind::Request, HeadLimits{});
    CHECK(scanner.scan(head).status == HeadScan::Status::Invalid);
  }
}
