// One client connection: reads requests (HTTP/1.0 and 1.1, keep-alive, pipelining), hands each
// complete request to an Exchange, and writes the answers in request order.
//
// A request is read completely (head and body, within the configured limits) before its
// exchange starts; the next pipelined request is not even parsed until the current answer is
// done, so answers can never be reordered. Timeouts: client_header from the first byte of a
// head (408, the slowloris defence), client_body between body reads, client_idle between
// keep-alive requests, client_send while the client does not read what we send.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "http/chunked_decoder.h"
#include "http/head_scanner.h"
#include "http/message_head.h"
#include "proxy/event_handles.h"
#include "proxy/socket_channel.h"

namespace etagd::proxy {

class Exchange;
class Worker;

class ClientConnection final : public ChannelHandler {
 public:
  ClientConnection(Worker& worker, UniqueFd fd, const sockaddr* peer);
  ~ClientConnection();

  void start();
  // Drain: close now if idle between requests, else after the current answer.
  void close_when_idle();
  // Closes the connection now (the worker destroys it after the current callback).
  void close();
  // The current answer cannot be completed (its head is out): sends what is buffered, then
  // ends the connection. `reset`: a close-delimited body, which a plain close would make look
  // complete, ends with a TCP reset instead.
  void abort_answer(bool reset);

  // --- for the Exchange answering the current request ---
  evbuffer* output() { return channel_.output(); }
  size_t output_pending() const { return channel_.output_length(); }
  // Sends what is buffered. False if the client is gone (the connection is then closing).
  bool flush();
  // The current answer is complete (all of it is in output()). `close`: no more requests.
  void answer_complete(bool close);
  // The exchange stopped producing because output_pending() was high: call
  // Exchange::on_client_drained() once it falls below the low watermark.
  void wait_for_drain() { waiting_for_drain_ = true; }
  const std::string& peer_address() const { return peer_address_; }
  bool closing() const { return state_ == State::Closed || state_ == State::Lingering; }
  // A response must end the connection (HTTP/1.0 without keep-alive, Connection: close,
  // draining worker).
  bool must_close_after_answer() const;

  static constexpr size_t kHighWatermark = 256 * 1024;
  static constexpr size_t kLowWatermark = 64 * 1024;

  // ChannelHandler
  void on_channel_readable() override;
  void on_channel_wrote() override;
  void on_channel_write_error(int err) override;

 private:
  enum class State { ReadingHead, ReadingBody, Answering, Lingering, Closed };

  void process_input();
  bool read_head();
  bool read_body();
  void dispatch();
  // Answers `status` and closes; reported to ops (access log, metrics, error log) with
  // `request` when its head was parsed, even in part.
  void reject(int status, std::string_view reason, const http::RequestHead* request = nullptr);
  void begin_lingering_close();
  void arm_timer(std::chrono::milliseconds after);
  static void on_timer(void* self);

  Worker& worker_;
  SocketChannel channel_;
  Timer timer_;
  std::string peer_address_;
  State state_ = State::ReadingHead;
  bool in_process_input_ = false;
  bool head_started_ = false;      // a byte of the next head has arrived (header timer running)
  bool waiting_for_drain_ = false;
  bool close_after_answer_ = false;
  bool drain_requested_ = false;
  bool sent_continue_ = false;

  http::HeadScanner scanner_;
  std::string head_buf_;  // the current request's head; RequestHead views point into it
  http::RequestHead request_;
  http::ChunkedDecoder chunked_;
  uint64_t body_remaining_ = 0;
  EvbufferPtr body_;
  std::unique_ptr<Exchange> exchange_;
};

}  // namespace etagd::proxy
