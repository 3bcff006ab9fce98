// Request and response heads parsed from text, as the proxy gets them from the wire: the
// head bytes live in the object, the parsed head's views point into them.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "http/head_scanner.h"
#include "http/message_head.h"

namespace etagd::proxy::testing {

class ParsedRequest {
 public:
  // `head_text`: the request line and fields, each ending in CRLF, without the empty line.
  explicit ParsedRequest(std::string head_text) : bytes_(std::move(head_text) + "\r\n") {
    http::HeadScanner scanner(http::HeadKind::Request, http::HeadLimits{64 * 1024, 200});
    http::HeadScan scan = scanner.scan(bytes_);
    REQUIRE(scan.status == http::HeadScan::Status::Complete);
    REQUIRE(http::parse_request_head(bytes_, scan, head_).empty());
  }
  ParsedRequest(const ParsedRequest&) = delete;
  ParsedRequest& operator=(const ParsedRequest&) = delete;
  const http::RequestHead& head() const { return head_; }
  operator const http::RequestHead&() const { return head_; }

 private:
  std::string bytes_;
  http::RequestHead head_;
};

class ParsedResponse {
 public:
  explicit ParsedResponse(std::string head_text) : bytes_(std::move(head_text) + "\r\n") {
    http::HeadScanner scanner(http::HeadKind::Response, http::HeadLimits{64 * 1024, 200});
    http::HeadScan scan = scanner.scan(bytes_);
    REQUIRE(scan.status == http::HeadScan::Status::Complete);
    REQUIRE(http::parse_response_head(bytes_, scan, head_).empty());
  }
  ParsedResponse(const ParsedResponse&) = delete;
  ParsedResponse& operator=(const ParsedResponse&) = delete;
  const http::ResponseHead& head() const { return head_; }
  operator const http::ResponseHead&() const { return head_; }

 private:
  std::string bytes_;
  http::ResponseHead head_;
};

}  // namespace etagd::proxy::testing
