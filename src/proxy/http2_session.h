// One HTTP/2 client connection (RFC 9113): an nghttp2 server session over a net::Transport,
// whose streams (http2_stream.h) each run through the same Exchange as an HTTP/1.1 request.
// nghttp2 does the framing, HPACK, flow control and the protocol checks; this class moves
// bytes between it and the transport, keeps the streams, and bounds what a client may cost:
//
//   SETTINGS_MAX_CONCURRENT_STREAMS  limits.max_concurrent_streams open streams at once;
//                                    nghttp2 refuses one beyond it (see start())
//   SETTINGS_MAX_HEADER_LIST_SIZE    limits.max_header_bytes (a larger list gets 431)
//   rapid reset (CVE-2023-44487)     RST_STREAMs beyond a burst of twice
//                                    limits.stream_resets_per_second, refilled at that
//                                    rate, get GOAWAY ENHANCE_YOUR_CALM
//   CONTINUATION flood, SETTINGS and PING floods: nghttp2's own bounds (max_continuations,
//                                    max_settings, max_outbound_ack), set explicitly here
//   idle                             timeouts.client_idle without a stream: GOAWAY, close
//   incomplete requests              timeouts.client_header without a byte while every open
//                                    stream still waits for its request (or, answered early,
//                                    for the rest of a body it discards): GOAWAY, close
//   slow reader / zero window        timeouts.client_send without sending progress while
//                                    something waits to be sent: close
//   vanished client                  timeouts.client_ping without a byte while streams are
//                                    open (waiting for the origin): PING; nothing within as
//                                    long again: GOAWAY NO_ERROR, close (RFC 9113 §6.7)
//
// Draining (SIGTERM) and a reload send GOAWAY with the last stream taken; the streams in
// flight complete, then the connection closes (RFC 9113 §6.8).
//
// nghttp2 must not be re-entered from its own callbacks: anything a stream wants sent while
// the session is inside nghttp2 is sent when it returns.
#pragma once

#include <nghttp2/nghttp2.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/timer.h"
#include "net/transport.h"
#include "ops/http2_goaway_reason.h"
#include "proxy/accepted_connection.h"
#include "proxy/client_identity.h"

namespace etagd::proxy {

class Http2Stream;
class Worker;

class Http2Session final : public net::TransportHandler, public AcceptedConnection {
 public:
  // What the connection's output may hold before nghttp2 is told to wait.
  static constexpr size_t kHighWatermark = 256 * 1024;

  Http2Session(Worker& worker, std::unique_ptr<net::Transport> transport, const sockaddr* peer,
               uint16_t port, std::string_view scheme);
  ~Http2Session() override;
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  // Sends SETTINGS and reads what the client sent (the preface may already be in the input).
  void start();

  // AcceptedConnection
  void close_when_idle() override;
  void close() override;

  // For the streams.
  Worker& worker() { return worker_; }
  nghttp2_session* nghttp2() { return session_.get(); }
  // Sends what nghttp2 has queued, now or (inside nghttp2) when it returns.
  void send_soon();
  // A stream's exchange waits for its buffer to drain: told after the next send.
  void note_drained(int32_t stream_id) { drained_.push_back(stream_id); }
  const sockaddr* peer() const { return reinterpret_cast<const sockaddr*>(&peer_); }

  // net::TransportHandler
  void on_transport_readable() override;
  void on_transport_wrote() override;
  void on_transport_write_error(int err) override;
  void on_transport_connected(bool) override {}

 private:
  struct SessionDeleter {
    void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
  };
  // What the one timer is armed for. Ping: streams are open and nothing needs the client
  // but liveness; PingAck: the PING went out and nothing has arrived since. Any byte
  // received ends Request, Ping and PingAck (they are re-armed from it); Linger is last.
  enum class TimerFor { Nothing, Idle, Request, Send, Ping, PingAck, Linger };

  // nghttp2 callbacks (user_data is the session).
  static ssize_t on_send(nghttp2_session*, const uint8_t* data, size_t len, int, void* self);
  static int on_send_data(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                          size_t length, nghttp2_data_source* source, void* self);
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                       void* self);
  static int on_data_chunk(nghttp2_session*, uint8_t flags, int32_t stream_id,
                           const uint8_t* data, size_t len, void* self);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                             void* self);
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* self);

  Http2Stream* stream(int32_t id);
  void send_now();
  // A client that resets streams faster than the bound (CVE-2023-44487) is told to calm down.
  void count_reset();
  void go_away(uint32_t error_code);
  // nghttp2 wants nothing more: send what is left, then close.
  void finish();
  void update_timer();
  // Changes what the timer is for, checking that the transition is one of the above.
  void set_timer_for(TimerFor next);
  static void on_timer(void* self);

  Worker& worker_;
  std::unique_ptr<net::Transport> transport_;
  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  base::Timer timer_;
  TimerFor timer_for_ = TimerFor::Nothing;
  sockaddr_storage peer_{};
  ClientIdentity client_;  // the connection's; each stream gets its own copy per request
  uint64_t generation_;    // of the config the session started with: a reload sends GOAWAY
  std::unordered_map<int32_t, std::unique_ptr<Http2Stream>> streams_;
  std::vector<int32_t> drained_;
  int inside_nghttp2_ = 0;  // depth of calls into nghttp2 (its callbacks must not re-enter)
  bool send_wanted_ = false;
  bool progress_ = false;   // bytes went out since the send timer was armed
  bool going_away_ = false; // GOAWAY sent or queued: no new streams
  bool finishing_ = false;
  bool closed_ = false;
  // What the next GOAWAY NO_ERROR is for (etagd_http2_goaways_total); an error code says
  // it for the others.
  ops::Http2GoawayReason no_error_reason_ = ops::Http2GoawayReason::Shutdown;
  // Token bucket of RST_STREAMs, with the config the session started with.
  double resets_per_second_;
  double reset_burst_;
  double reset_tokens_;
  base::MonoTime reset_refill_{};
};

}  // namespace etagd::proxy
