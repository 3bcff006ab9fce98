// HttpClient: a blocking HTTP/1.1 client for tests, one TCP connection per object.
//
// It sends whatever a test wants (well-formed requests or raw bytes, several at once for
// pipelining) and reads responses strictly, the way a careful client would: 1xx interim
// responses are collected and skipped, the body is delimited by chunked / Content-Length /
// close, and HEAD, 1xx, 204 and 304 responses have no body. The connection stays open for
// keep-alive reuse. Every call is bounded by the client's timeout.
//
// Errors: a response whose head cannot be read (timeout, connection closed, garbage) throws
// HttpError; a head followed by a body that ends early is returned with complete == false.
#pragma once

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/header_fields.h"
#include "support/socket_stream.h"
#include "support/wire_format.h"

namespace etagd::testing {

class HttpError : public std::runtime_error {
 public:
  HttpError(IoStatus io_status, const std::string& what)
      : std::runtime_error(what), status(io_status) {}
  IoStatus status;  // timeout, closed, reset, malformed, ...
};

struct InterimResponse {
  int status = 0;
  std::string reason;
  HeaderFields headers;
};

struct HttpResponse {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::string reason;
  HeaderFields headers;
  std::string body;  // decoded (de-chunked)
  HeaderFields trailers;
  std::vector<InterimResponse> interim;  // 1xx responses received before this one, in order
  BodyFraming::Kind framing = BodyFraming::none;  // how the body was delimited
  bool complete = true;  // false: the connection ended before the announced body did
  std::string problem;   // why the body is incomplete
  std::string raw_head;  // exact head bytes

  // Whether the server keeps the connection open (RFC 9112 §9.3).
  bool keeps_alive() const;
};

class HttpClient {
 public:
  struct ReadOptions {
    bool expect_body = true;      // false: the request was HEAD (sent raw)
    bool return_interim = false;  // return a 1xx response instead of skipping it
  };

  // Connects to 127.0.0.1:port (or host:port); throws HttpError if the connection fails.
  explicit HttpClient(uint16_t port, milliseconds timeout = milliseconds(5000));
  HttpClient(std::string host, uint16_t port, milliseconds timeout = milliseconds(5000));

  // Per-call timeout for every later call.
  void set_timeout(milliseconds timeout) { timeout_ = timeout; }
  milliseconds timeout() const { return timeout_; }

  // Writes bytes as they are. Responses to raw requests are read as answers to GET unless
  // read_response is told otherwise.
  void send_raw(std::string_view bytes);
  // Writes one request. Adds Host (unless present) and Content-Length when there is a body
  // or the method is POST/PUT/PATCH (unless Content-Length or Transfer-Encoding is present:
  // then the body is sent as given, e.g. pre-chunked with encode_chunked()).
  void send_request(std::string_view method, std::string_view target,
                    const HeaderFields& headers = {}, std::string_view body = {});
  // send_request + read_response.
  HttpResponse request(std::string_view method, std::string_view target,
                       const HeaderFields& headers = {}, std::string_view body = {});
  HttpResponse get(std::string_view target, const HeaderFields& headers = {});

  // Reads the next response (responses come back in request order when pipelining).
  // Whether a body is expected follows the method of the oldest request sent with
  // send_request that has no response yet (HEAD: no body).
  HttpResponse read_response(bool expect_body = true);
  HttpResponse read_response(const ReadOptions& options);

  // True if the server closes the connection (FIN or RST) within the timeout. Bytes that
  // arrive meanwhile stay buffered for read_response.
  bool wait_closed(milliseconds timeout);
  // Raw bytes: everything until the server closes (throws on timeout), or whatever arrives
  // in the next `timeout` (at least one byte, else "").
  std::string read_until_closed();
  std::string read_some(milliseconds timeout);

  void shutdown_write();  // half-close: sends FIN, reading stays possible
  void close();
  void reset();  // aborts with RST
  bool is_open() const { return stream_.is_open(); }
  int fd() const { return stream_.fd(); }

 private:
  std::string host_;
  uint16_t port_;
  milliseconds timeout_;
  SocketStream stream_;
  std::deque<std::string> pending_methods_;  // of send_request calls not answered yet
};

// One request on a fresh connection.
HttpResponse http_get(uint16_t port, std::string_view target, const HeaderFields& headers = {},
                      milliseconds timeout = milliseconds(5000));
HttpResponse http_request(uint16_t port, std::string_view method, std::string_view target,
                          const HeaderFields& headers = {}, std::string_view body = {},
                          milliseconds timeout = milliseconds(5000));

}  // namespace etagd::testing
