// ScriptedOrigin: a real HTTP/1.1 server on loopback that integration tests put behind etagd.
//
// Each test scripts what the origin does per path (answer, delay, drip, close mid-body, send
// garbage, reset) and afterwards asks what the origin received: every request is recorded with
// its head, decoded body and connection, and counted per path. That is how a test proves, e.g.,
// that a cached response was served without asking the origin, or that a smuggling attempt
// never reached it.
//
// Threads: one accept thread plus one thread per connection. Requests on a connection are
// served one after the other (keep-alive and pipelining work naturally). Handlers run on the
// connection thread; everything else is safe to call from any thread.
//
// Bounded: stop() and the destructor close every socket and join every thread promptly.
// A handler must only block through OriginReply (sleep, drip, wait_peer_closed), which
// returns early when the origin stops; it must not call stop() itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/header_fields.h"
#include "support/socket_stream.h"

namespace etagd::testing {

// One request as the origin received it.
struct OriginRequest {
  std::string method;
  std::string target;   // as on the request line, e.g. "/api/items?page=2"
  std::string path;     // target up to '?'
  std::string query;    // after '?', "" if none
  std::string version;  // "HTTP/1.1"
  HeaderFields headers;
  std::string body;      // decoded: de-chunked when it arrived chunked
  bool chunked = false;  // the body arrived with Transfer-Encoding: chunked
  HeaderFields trailers;
  std::string raw_head;            // the exact head bytes, for byte-level assertions
  uint64_t connection_id = 0;      // 1, 2, ... in accept order, unique per ScriptedOrigin
  size_t index_on_connection = 0;  // 0 for the first request on its connection
};

namespace detail {
struct OriginState;
struct OriginConnection;
}  // namespace detail

// What a handler does to answer. Every operation writes to the socket immediately, so a
// handler is a script played in real time: head, pause, half a body, close...
// After a failed write (peer gone) further writes are ignored and broken() is true.
class OriginReply {
 public:
  OriginReply(detail::OriginConnection& connection, const OriginRequest& request);

  // A complete response. Adds Content-Length (unless the headers carry Content-Length or
  // Transfer-Encoding, or the status has no body), and "Connection: close" when the
  // connection will close afterwards. The body is not sent for HEAD (RFC 9110 §9.3.2).
  void reply(int status, const HeaderFields& headers = {}, std::string_view body = {});
  // A complete chunked response (RFC 9112 §7.1); the head says Transfer-Encoding: chunked.
  // With a pause, each chunk is written separately that long after the previous one.
  void reply_chunked(int status, const HeaderFields& headers,
                     const std::vector<std::string>& chunks, const HeaderFields& trailers = {},
                     milliseconds pause_between_chunks = milliseconds(0));
  // A 1xx interim response (RFC 9110 §15.2); the final response must follow.
  void interim(int status, const HeaderFields& headers = {});
  // Status line and the given fields, nothing added: the handler owns the framing.
  void write_head(int status, const HeaderFields& headers);
  void write_raw(std::string_view bytes);
  // Writes the bytes one at a time, `every` apart.
  void drip(std::string_view bytes, milliseconds every);
  // Sleeps; returns early (false) if the origin is stopping.
  bool sleep(milliseconds duration);
  // Sends FIN now; the connection ends when the handler returns.
  void close();
  // Aborts the connection with RST now (SO_LINGER 0), dropping unsent bytes.
  void reset();
  // Whether the connection stays open for another request after this exchange. Defaults to
  // what the request asked for (HTTP/1.1 without "Connection: close").
  void keep_alive(bool keep);
  // Waits until the client half-closes or resets; false on timeout or when the origin stops.
  bool wait_peer_closed(milliseconds timeout);

  bool broken() const { return broken_; }
  bool closed() const { return closed_; }
  bool keeps_alive() const { return keep_alive_; }

 private:
  detail::OriginConnection& connection_;
  const OriginRequest& request_;
  bool keep_alive_;
  bool broken_ = false;
  bool closed_ = false;
};

using OriginHandler = std::function<void(const OriginRequest&, OriginReply&)>;

class ScriptedOrigin {
 public:
  struct Options {
    uint16_t port = 0;  // 0: the kernel picks an ephemeral port at the first start()
    bool ipv6 = false;  // also listen on [::1] with the same port
    size_t max_head_bytes = 64 * 1024;         // a larger request head is answered 431
    size_t max_body_bytes = 64 * 1024 * 1024;  // a larger body closes the connection
    bool auto_continue = true;     // answer "Expect: 100-continue" before reading the body
    milliseconds idle_timeout{0};  // close keep-alive connections idle this long; 0 = never
  };

  // Listens immediately (throws if it cannot bind).
  ScriptedOrigin();
  explicit ScriptedOrigin(Options options);
  ~ScriptedOrigin();
  ScriptedOrigin(const ScriptedOrigin&) = delete;
  ScriptedOrigin& operator=(const ScriptedOrigin&) = delete;

  uint16_t port() const;
  std::string authority() const;  // "127.0.0.1:PORT"
  std::string url() const;        // "http://127.0.0.1:PORT"

  // Routes match the request path (query excluded): an exact path ("/health") wins over
  // prefixes ("/api/*" matches "/api/" and everything under it; the longest prefix wins).
  // Routing the same pattern again replaces its handler, also while the origin runs.
  // Unmatched requests go to the default handler: 200 with {"method":..,"target":..} JSON.
  void route(std::string pattern, OriginHandler handler);
  void set_default(OriginHandler handler);
  void clear_routes();

  // Closes the listening sockets and every connection, and joins all threads: from now on
  // connections to the port are refused. Recorded requests are kept.
  void stop();
  // Listens again on the same port (the origin "comes back"). No-op while running.
  void start();
  bool running() const;
  // Sends FIN on every connection that is waiting for its next request (an origin
  // timing out idle keep-alive connections); returns how many were closed.
  size_t drop_idle_connections();

  size_t request_count() const;
  size_t request_count(std::string_view path) const;
  std::vector<OriginRequest> requests() const;
  std::optional<OriginRequest> last_request() const;
  // True once at least n requests (for `path`) have been received; false at the timeout.
  bool wait_for_requests(size_t n, milliseconds timeout) const;
  bool wait_for_requests(std::string_view path, size_t n, milliseconds timeout) const;
  // Forgets recorded requests; counts start again at zero.
  void clear_requests();

  size_t connection_count() const;  // connections accepted since construction
  size_t open_connections() const;  // connections currently open
  // Problems seen while serving: unparsable requests (answered 400), handler exceptions.
  std::vector<std::string> errors() const;

 private:
  std::unique_ptr<detail::OriginState> state_;
};

}  // namespace etagd::testing
