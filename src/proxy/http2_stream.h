// One HTTP/2 stream of an Http2Session: the request it carries (its fields and body, read
// from HEADERS and DATA frames) and the exchange's Downstream for the answer, which it turns
// into a HEADERS frame and DATA frames (RFC 9113 §8.1).
//
// The answer's body waits in the stream's own buffer until flow control lets it go
// (RFC 9113 §5.2): nghttp2 asks for it when the stream's and the connection's windows allow,
// and the bytes then move into the connection's output without a copy (a hit's body stays a
// reference to the stored entry). Above kHighWatermark send_body() says stop, and the
// exchange stops reading its upstream until the buffer has drained below kLowWatermark: a
// client that does not open its window holds at most the watermark, never a whole body.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/event_handles.h"
#include "http/message_head.h"
#include "proxy/client_identity.h"
#include "proxy/downstream.h"
#include "proxy/http2_request.h"

namespace etagd::proxy {

class Exchange;
class Http2Session;

class Http2Stream final : public Downstream {
 public:
  static constexpr size_t kHighWatermark = 256 * 1024;
  static constexpr size_t kLowWatermark = 64 * 1024;

  Http2Stream(Http2Session& session, int32_t id, const ClientIdentity& connection);
  ~Http2Stream();
  Http2Stream(const Http2Stream&) = delete;
  Http2Stream& operator=(const Http2Stream&) = delete;

  int32_t id() const { return id_; }

  // --- the request, as frames arrive ---
  void add_field(std::string_view name, std::string_view value);
  void add_body(const uint8_t* data, size_t len);
  // The request is complete (END_STREAM): checks it and starts its exchange, or refuses it.
  void dispatch();
  bool dispatched() const { return state_ != State::ReadingRequest; }
  // The request head is complete and a body follows: a content-length over
  // limits.max_request_body is answered 413 now, before the body is sent.
  void check_announced_length();
  // Nothing is in flight for this stream but what the client still has to send: its request,
  // or the rest of a body it sends after an early answer (which is discarded). RFC 9113 §8.1
  // would let the server reset such a stream with NO_ERROR, but curl 7.88 (Debian 12) then
  // reports the complete answer as a framing error.
  bool waiting_for_client() const;
  // nghttp2 closed the stream (answered, reset by either side, connection gone).
  void on_closed();

  // --- the answer's body, as nghttp2 sends DATA frames ---
  // How much of `max` may go in the next DATA frame; NGHTTP2_ERR_DEFERRED when nothing is
  // buffered yet. Sets NGHTTP2_DATA_FLAG_EOF on the last frame.
  ssize_t next_data_length(size_t max, uint32_t* flags);
  // Moves `len` buffered bytes to `out`. True when an exchange waiting for a drain may go on.
  bool take_data(evbuffer* out, size_t len);
  // The exchange stopped producing and the buffer has drained: tell it.
  void resume_exchange();
  size_t buffered() const { return evbuffer_get_length(body_out_.get()); }

  // Downstream
  void send_interim(int status, std::string_view fields) override;
  void start_answer(const AnswerHead& head) override;
  bool send_body(const char* data, size_t len) override;
  void send_entry_body(const cache::EntryRef& entry, std::string_view bytes) override;
  void end_answer() override;
  void abort_answer() override;
  bool retract_answer() override;
  void flush() override;
  std::string_view protocol() const override { return "HTTP/2.0"; }
  const ClientIdentity& client() const override { return client_; }

 private:
  enum class State {
    ReadingRequest,  // HEADERS and DATA arriving
    Answering,       // the exchange (or a refusal) is answering
    Answered,        // the answer is queued to its end; nghttp2 sends the rest
    Closed,          // nghttp2 closed the stream
  };

  // Answers `status` with etagd's own short text (400, 413, 431) and reports the refusal.
  void refuse(int status, std::string_view reason);
  void submit_head();
  void abandon_exchange();

  Http2Session& session_;
  int32_t id_;
  State state_ = State::ReadingRequest;
  ClientIdentity client_;

  Http2RequestFields fields_;
  http::RequestHead request_;
  base::EvbufferPtr body_in_;
  uint64_t body_received_ = 0;
  bool request_too_large_ = false;  // the fields went over the limits: 431
  bool body_too_large_ = false;     // the body went over limits.max_request_body: 413
  std::unique_ptr<Exchange> exchange_;

  // The answer.
  std::string head_bytes_;  // lowercase names and values of the held head
  std::vector<std::pair<uint32_t, uint32_t>> head_spans_;  // (offset, length), name then value
  bool head_held_ = false;  // start_answer() came, the head is not submitted yet
  bool has_body_ = false;   // DATA follows the HEADERS (not HEAD, 204, 304)
  bool body_ended_ = false;
  bool waiting_for_drain_ = false;
  base::EvbufferPtr body_out_;
};

}  // namespace etagd::proxy
