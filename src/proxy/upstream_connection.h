// One connection to the upstream: sends a request, parses the response and reports it to an
// UpstreamObserver piece by piece (head, body chunks, end). Between requests it sits idle in
// the worker's UpstreamPool.
//
// Response framing follows RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; chunked (decoded
// by etagd's strict decoder); Content-Length; otherwise the body ends when the upstream closes.
// A connection is reused only when the response was framed, the upstream allows keep-alive,
// and no byte beyond the response arrived (a body longer than declared must not leak into the
// next response on the connection).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/timer.h"
#include "http/body_framing.h"
#include "http/chunked_decoder.h"
#include "http/head_scanner.h"
#include "http/message_head.h"
#include "net/tls_transport.h"
#include "net/transport.h"
#include "ops/upstream_error.h"

namespace etagd::proxy {

class UpstreamPool;
using ops::UpstreamError;

class UpstreamObserver {
 public:
  // An interim response (1xx other than 101) before the final head; `head` is valid for the
  // call only. Most observers have nothing to do with one.
  virtual void on_upstream_interim(const http::ResponseHead& /*head*/) {}
  virtual void on_upstream_head(const http::ResponseHead& head) = 0;
  virtual void on_upstream_body(const char* data, size_t len) = 0;
  virtual void on_upstream_complete() = 0;
  virtual void on_upstream_error(UpstreamError error) = 0;
  // Every byte read so far has been delivered and more must be awaited: the moment to send
  // what was produced from it (one write per read, not one per piece).
  virtual void on_upstream_input_drained() = 0;

 protected:
  ~UpstreamObserver() = default;
};

class UpstreamConnection final : public net::TransportHandler {
 public:
  // Over `transport`; `connecting`: it reports on_transport_connected() before it can be used.
  // `tls`: the same transport when it is TLS, for the handshake's metrics and failure reason.
  UpstreamConnection(UpstreamPool& pool, std::unique_ptr<net::Transport> transport,
                     bool connecting, const net::TlsTransport* tls = nullptr);
  ~UpstreamConnection();

  // Sends `request` (referenced, not copied: it must stay unchanged until the exchange ends)
  // and reports the response to `observer`. `head_request`: the response has no body.
  void start(evbuffer* request, bool head_request, UpstreamObserver* observer);

  // Back-pressure from a slow client: stop reading (and stop the read timeout) until resumed.
  void pause_reading();
  void resume_reading();

  // The observer is going away: no callback is made after this.
  void detach();

  bool reused() const { return requests_ > 1; }
  // Any byte of a response to the current request came back.
  bool got_response_bytes() const { return got_bytes_; }
  // Why the connection could not be established, when the transport knows more than the
  // error kind says (a TLS handshake's reason); empty otherwise.
  std::string_view failure_detail() const;
  bool reusable() const { return state_ == State::Complete && reusable_; }
  bool idle() const { return state_ == State::Idle; }

  // Pool side: wait idle for the next request; an EOF, stray byte or the idle timeout closes it.
  void park();

  // net::TransportHandler
  void on_transport_readable() override;
  void on_transport_wrote() override {}
  void on_transport_write_error(int err) override;
  void on_transport_connected(bool ok) override;

 private:
  enum class State { Connecting, Active, Complete, Idle, Failed };

  static void on_timer(void* self);
  void fail(UpstreamError e);
  void read_response();
  bool read_head();   // false: wait for more (or failed)
  bool read_body();   // false: wait for more (or failed)
  void complete();
  void arm_read_timeout();
  void send_request();

  UpstreamPool& pool_;
  std::unique_ptr<net::Transport> transport_;
  const net::TlsTransport* tls_;  // transport_ when it is TLS, else null
  base::Timer timer_;
  State state_;
  UpstreamObserver* observer_ = nullptr;
  evbuffer* request_ = nullptr;  // sent once the connection is established
  uint32_t requests_ = 0;
  bool head_request_ = false;
  bool paused_ = false;
  bool got_bytes_ = false;   // any response byte seen for the current request
  bool in_body_ = false;
  bool reusable_ = false;

  http::HeadScanner scanner_;
  std::string head_buf_;
  http::ResponseHead head_;
  http::BodyFraming framing_ = http::BodyFraming::None;
  uint64_t remaining_ = 0;
  http::ChunkedDecoder chunked_;
};

}  // namespace etagd::proxy
