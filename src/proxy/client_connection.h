// One HTTP/1.x client connection: reads requests (HTTP/1.0 and 1.1, keep-alive, pipelining),
// hands each complete request to an Exchange, and writes the answers in request order. It is
// the exchange's Downstream (downstream.h) for HTTP/1.1: it turns an answer into an HTTP/1.1
// head and body framing (Content-Length, chunked, or close-delimited for HTTP/1.0).
//
// A request is read completely (head and body, within the configured limits) before its
// exchange starts; the next pipelined request is not even parsed until the current answer is
// done, so answers can never be reordered. Timeouts: client_header from the first byte of a
// head (408, the slowloris defence), client_body between body reads, client_idle between
// keep-alive requests, client_send while the client does not read what we send.
//
// On a listener with `http2: on`, a connection whose first bytes are the HTTP/2 connection
// preface (RFC 9113 §3.4: prior knowledge) is handed to an Http2Session with its transport,
// the preface still unread.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/event_handles.h"
#include "base/timer.h"
#include "http/body_framing.h"
#include "http/chunked_decoder.h"
#include "http/head_scanner.h"
#include "http/message_head.h"
#include "net/transport.h"
#include "proxy/accepted_connection.h"
#include "proxy/downstream.h"

namespace etagd::proxy {

class Exchange;
class Worker;

class ClientConnection final : public net::TransportHandler, public Downstream,
                               public AcceptedConnection {
 public:
  // `port` and `scheme`: of the listener that accepted the connection.
  // `http2`: the listener also speaks HTTP/2 to clients that open with its preface.
  ClientConnection(Worker& worker, std::unique_ptr<net::Transport> transport,
                   const sockaddr* peer, uint16_t port, std::string_view scheme, bool http2);
  ~ClientConnection() override;

  void start();
  // Drain: close now if idle between requests, else after the current answer.
  void close_when_idle() override;
  // Closes the connection now (the worker destroys it after the current callback).
  void close() override;

  static constexpr size_t kHighWatermark = 256 * 1024;
  static constexpr size_t kLowWatermark = 64 * 1024;

  // Downstream, for the exchange answering the current request.
  void send_interim(int status, std::string_view fields) override;
  void start_answer(const AnswerHead& head) override;
  bool send_body(const char* data, size_t len) override;
  void send_entry_body(const cache::EntryRef& entry, std::string_view bytes) override;
  void end_answer() override;
  void abort_answer() override;
  bool retract_answer() override;
  void flush() override;
  std::string_view protocol() const override;
  const ClientIdentity& client() const override { return client_; }

  // net::TransportHandler
  void on_transport_readable() override;
  void on_transport_wrote() override;
  void on_transport_write_error(int err) override;
  void on_transport_connected(bool) override {}

 private:
  enum class State { ReadingHead, ReadingBody, Answering, Lingering, Closed };

  void process_input();
  bool read_head();
  // While the first bytes may still be the HTTP/2 preface: false to wait for more, or after
  // handing the connection to HTTP/2.
  bool may_be_http1();
  bool read_body();
  void dispatch();
  // Answers `status` and closes; reported to ops (access log, metrics, error log) with
  // `request` when its head was parsed, even in part.
  void reject(int status, std::string_view reason, const http::RequestHead* request = nullptr);
  void begin_lingering_close();
  void arm_timer(std::chrono::milliseconds after);
  static void on_timer(void* self);
  // Sends what is buffered. False if the client is gone (the connection is then closing).
  bool flush_output();
  void commit_head();
  // A response must end the connection (HTTP/1.0 without keep-alive, Connection: close,
  // draining worker).
  bool must_close_after_answer() const;

  Worker& worker_;
  std::unique_ptr<net::Transport> transport_;
  base::Timer timer_;
  sockaddr_storage peer_{};
  ClientIdentity client_;  // peer, scheme and port fixed; the rest per request
  State state_ = State::ReadingHead;
  bool in_process_input_ = false;
  bool head_started_ = false;      // a byte of the next head has arrived (header timer running)
  bool waiting_for_drain_ = false; // the exchange stopped producing: tell it when we drain
  bool close_after_answer_ = false;
  bool drain_requested_ = false;
  bool sent_continue_ = false;
  bool http2_preface_possible_ = false;  // the listener speaks HTTP/2 and no byte has ruled it out

  http::HeadScanner scanner_;
  std::string head_buf_;  // the current request's head; RequestHead views point into it
  http::RequestHead request_;
  http::ChunkedDecoder chunked_;
  uint64_t body_remaining_ = 0;
  base::EvbufferPtr body_;
  std::unique_ptr<Exchange> exchange_;

  // The current answer.
  http::BodyFraming framing_ = http::BodyFraming::None;
  std::string pending_head_;  // until its first bytes go out (retract_answer() may drop it)
};

}  // namespace etagd::proxy
