#include "http/status.h"

#include <doctest/doctest.h>

using etagd::http::is_heuristically_cacheable;
using etagd::http::reason_phrase;

TEST_CASE("registered status codes have their RFC 9110 reason phrases") {
  CHECK(reason_phrase(100) == "Continue");
  CHECK(reason_phrase(200) == "OK");
  CHECK(reason_phrase(203) == "Non-Authoritative Information");
  CHECK(reason_phrase(304) == "Not Modified");
  CHECK(reason_phrase(308) == "Permanent Redirect");
  CHECK(reason_phrase(400) == "Bad Request");
  CHECK(reason_phrase(408) == "Request Timeout");
  CHECK(reason_phrase(413) == "Content Too Large");
  CHECK(reason_phrase(414) == "URI Too Long");
  CHECK(reason_phrase(422) == "Unprocessable Content");
  CHECK(reason_phrase(431) == "Request Header Fields Too Large");
  CHECK(reason_phrase(502) == "Bad Gateway");
  CHECK(reason_phrase(504) == "Gateway Timeout");
  CHECK(reason_phrase(505) == "HTTP Version Not Supported");
}

TEST_CASE("every code RFC 9110 §15 defines has a phrase") {
  for (int code : {100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305,
                   307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412,
                   413, 414, 415, 416, 417, 421, 422, 426, 500, 501, 502, 503, 504, 505}) {
    CAPTURE(code);
    std::string_view phrase = reason_phrase(code);
    CHECK(phrase != "Unknown");
    CHECK(!phrase.empty());
    for (char c : phrase) CHECK((c >= 0x20 && c < 0x7f));  // safe on a status line
  }
}

TEST_CASE("unassigned and out-of-range codes are Unknown") {
  for (int code : {0, -1, 99, 199, 306, 418, 499, 599, 600, 1000}) {
    CAPTURE(code);
    CHECK(reason_phrase(code) == "Unknown");
  }
}

TEST_CASE("exactly the RFC 9110 §15.1 codes are heuristically cacheable") {
  const int cacheable[] = {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501};
  for (int code = 0; code < 1000; ++code) {
    bool expected = false;
    for (int c : cacheable) expected = expected || c == code;
    CAPTURE(code);
    CHECK(is_heuristically_cacheable(code) == expected);
  }
}

TEST_CASE("common uncacheable answers are not heuristically cacheable") {
  CHECK(!is_heuristically_cacheable(201));
  CHECK(!is_heuristically_cacheable(302));
  CHECK(!is_heuristically_cacheable(304));
  CHECK(!is_heuristically_cacheable(307));
  CHECK(!is_heuristically_cacheable(500));
  CHECK(!is_heuristically_cacheable(502));
  CHECK(!is_heuristically_cacheable(503));
}
