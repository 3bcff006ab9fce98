#include "proxy/client_connection.h"

#include <sys/socket.h>

#include <algorithm>

#include "ops/client_error.h"
#include "proxy/exchange.h"
#include "proxy/head_reader.h"
#include "proxy/response_writer.h"
#include "proxy/running_config.h"
#include "proxy/worker.h"

namespace etagd::proxy {

namespace {


http::HeadLimits head_limits(const config::Config& c) {
  return http::HeadLimits{c.limits.max_header_bytes, c.limits.max_headers};
}

// How long a closing connection keeps reading (and discarding) so that the client receives
// our last answer instead of a reset caused by its unread pipelined bytes.
constexpr std::chrono::milliseconds kLingerTime{2000};

}  // namespace

ClientConnection::ClientConnection(Worker& worker, UniqueFd fd, const sockaddr* peer)
    : worker_(worker),
      channel_(worker.base(), std::move(fd), *this),
      timer_(worker.base(), &ClientConnection::on_timer, this),
      peer_address_(address_text(peer)),
      scanner_(http::HeadKind::Request, head_limits(*worker.running()->config)) {}

ClientConnection::~ClientConnection() = default;

void ClientConnection::start() {
  channel_.set_reading(true);
  // A new connection gets client_header to send its first request (as nginx does).
  arm_timer(worker_.running()->config->timeouts.client_header);
}

void ClientConnection::arm_timer(std::chrono::milliseconds after) { timer_.arm(after); }

bool ClientConnection::must_close_after_answer() const {
  return close_after_answer_ || drain_requested_ || !request_.keep_alive;
}

void ClientConnection::close_when_idle() {
  drain_requested_ = true;
  if (state_ == State::ReadingHead && !head_started_ && output_pending() == 0) close();
}

void ClientConnection::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  timer_.cancel();
  channel_.set_reading(false);
  if (exchange_) {
    exchange_->abandon();
    worker_.retire(std::move(exchange_));
  }
  worker_.close_connection(this);
}

void ClientConnection::abort_answer(bool reset) {
  if (state_ == State::Closed) return;
  channel_.flush();  // best effort: whatever the socket takes now
  if (reset) {
    linger abort{1, 0};
    setsockopt(channel_.fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  }
  close();
}

bool ClientConnection::flush() {
  if (state_ == State::Closed) return false;
  if (!channel_.flush()) {
    close();
    return false;
  }
  if (channel_.output_length() > 0) {
    arm_timer(worker_.running()->config->timeouts.client_send);
  }
  // The drain an exchange waits for is reported by on_channel_wrote(), from the write event.
  // A flush that takes the buffer below the low watermark by itself (the client read quickly
  // since the exchange paused its upstream) would otherwise leave the event disarmed and the
  // upstream paused for good. Keep the event armed: the socket is writable, so it fires on
  // the next loop turn, outside whatever exchange code called this.
  if (waiting_for_drain_ && channel_.output_length() <= kLowWatermark) channel_.await_writable();
  return true;
}

void ClientConnection::on_channel_write_error(int) { close(); }

void ClientConnection::on_channel_wrote() {
  if (state_ == State::Closed) return;
  size_t pending = channel_.output_length();
  if (pending > 0) {
    arm_timer(worker_.running()->config->timeouts.client_send);
  }
  if (waiting_for_drain_ && pending <= kLowWatermark) {
    waiting_for_drain_ = false;
    if (exchange_) exchange_->on_client_drained();
    if (state_ == State::Closed) return;
  }
  if (pending > 0) return;
  if (state_ == State::Lingering) {
    begin_lingering_close();
    return;
  }
  if (state_ == State::ReadingHead) {
    // Answers were held back by a full output buffer: continue with pipelined requests.
    arm_timer(head_started_ ? worker_.running()->config->timeouts.client_header
                            : worker_.running()->config->timeouts.client_idle);
    process_input();
  }
}

void ClientConnection::on_channel_readable() {
  if (state_ == State::Closed) return;
  if (state_ == State::Lingering) {
    evbuffer_drain(channel_.input(), evbuffer_get_length(channel_.input()));
    if (channel_.eof() || channel_.error() != 0) close();
    return;
  }
  if (channel_.error() != 0) {
    close();
    return;
  }
  if (state_ == State::Answering) {
    // Pipelined bytes wait in the input buffer; stop reading if they pile up. An EOF while
    // answering is a half-close (`printf ... | nc -N`): the requests already buffered are still
    // answered, and read_head() closes once no complete head is left.
    if (evbuffer_get_length(channel_.input()) > kHighWatermark) channel_.set_reading(false);
    return;
  }
  process_input();
}

void ClientConnection::process_input() {
  if (in_process_input_) return;  // a synchronous answer inside dispatch(): the loop continues
  in_process_input_ = true;
  while (state_ == State::ReadingHead || state_ == State::ReadingBody) {
    if (state_ == State::ReadingHead) {
      // Answers the client has not read yet hold further pipelined requests back.
      if (channel_.output_length() > kHighWatermark) break;
      if (!read_head()) break;
    }
    if (state_ == State::ReadingBody && !read_body()) break;
  }
  in_process_input_ = false;
}

bool ClientConnection::read_head() {
  evbuffer* in = channel_.input();
  size_t avail = evbuffer_get_length(in);
  const config::Config& cfg = *worker_.running()->config;
  if (avail == 0) {
    if (channel_.eof()) close();
    return false;
  }
  if (!head_started_) {
    head_started_ = true;
    arm_timer(cfg.timeouts.client_header);
  }
  http::HeadScan scan = take_head(in, scanner_, cfg.limits.max_header_bytes + 1024, head_buf_);
  switch (scan.status) {
    case http::HeadScan::Status::NeedMore:
      if (channel_.eof()) close();  // the client gave up mid-head: nobody to answer
      return false;
    case http::HeadScan::Status::Invalid:
      reject(400, scan.reason);
      return false;
    case http::HeadScan::Status::TooLarge:
      reject(431, scan.reason);
      return false;
    case http::HeadScan::Status::Complete:
      break;
  }
  std::string_view error = http::parse_request_head(head_buf_, scan, request_);
  if (!error.empty()) {
    reject(error == http::kUnsupportedExpectation ? 417 : 400, error, &request_);
    return false;
  }
  if (request_.content_length && *request_.content_length > cfg.limits.max_request_body) {
    reject(413, "request body too large", &request_);
    return false;
  }
  if (!request_.has_body()) {
    dispatch();
    return true;
  }
  if (!body_) body_ = make_evbuffer();
  body_remaining_ = request_.content_length.value_or(0);
  chunked_.reset();
  sent_continue_ = false;
  state_ = State::ReadingBody;
  arm_timer(cfg.timeouts.client_body);
  return true;
}

bool ClientConnection::read_body() {
  evbuffer* in = channel_.input();
  const config::Config& cfg = *worker_.running()->config;
  size_t avail = evbuffer_get_length(in);
  if (avail == 0) {
    if (channel_.eof()) {
      close();
      return false;
    }
    // RFC 9110 §10.1.1: the client waits for 100 (Continue) before sending the body.
    if (request_.expect_continue && !sent_continue_) {
      sent_continue_ = true;
      evbuffer_add(channel_.output(), "HTTP/1.1 100 Continue\r\n\r\n", 25);
      flush();
    }
    return false;
  }
  sent_continue_ = true;  // the body is coming anyway: no 100 needed any more
  arm_timer(cfg.timeouts.client_body);
  if (!request_.chunked) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(avail, body_remaining_));
    evbuffer_remove_buffer(in, body_.get(), take);  // moves chains, no copy
    body_remaining_ -= take;
    if (body_remaining_ > 0) return false;
    dispatch();
    return true;
  }
  evbuffer_iovec vec[8];
  int n = std::min(evbuffer_peek(in, -1, nullptr, vec, 8), 8);
  size_t consumed = 0;
  http::ChunkedDecoder::Status status = http::ChunkedDecoder::Status::NeedMore;
  for (int i = 0; i < n && status == http::ChunkedDecoder::Status::NeedMore; ++i) {
    size_t used = 0;
    status = chunked_.decode(static_cast<const char*>(vec[i].iov_base), vec[i].iov_len, used,
                             [this](const char* d, size_t l) { evbuffer_add(body_.get(), d, l); });
    consumed += used;
  }
  evbuffer_drain(in, consumed);
  if (status == http::ChunkedDecoder::Status::Invalid) {
    reject(400, chunked_.error(), &request_);
    return false;
  }
  if (chunked_.announced_bytes() > cfg.limits.max_request_body) {
    reject(413, "request body too large", &request_);
    return false;
  }
  if (status == http::ChunkedDecoder::Status::NeedMore) return evbuffer_get_length(in) > 0;
  dispatch();
  return true;
}

void ClientConnection::dispatch() {
  state_ = State::Answering;
  head_started_ = false;
  timer_.cancel();
  if (!request_.keep_alive) close_after_answer_ = true;
  exchange_ = std::make_unique<Exchange>(worker_, this, peer_address_, request_, body_.get());
  exchange_->start();
}

void ClientConnection::answer_complete(bool close_connection) {
  if (state_ == State::Closed) return;
  if (exchange_) worker_.retire(std::move(exchange_));
  if (body_) evbuffer_drain(body_.get(), evbuffer_get_length(body_.get()));
  if (close_connection || must_close_after_answer()) {
    begin_lingering_close();
    return;
  }
  state_ = State::ReadingHead;
  scanner_ = http::HeadScanner(http::HeadKind::Request, head_limits(*worker_.running()->config));
  channel_.set_reading(true);
  if (!flush()) return;
  if (channel_.output_length() == 0) {
    arm_timer(worker_.running()->config->timeouts.client_idle);
  }
  // Pipelined requests already buffered: the loop in process_input() picks them up when this
  // answer was synchronous; otherwise start it here.
  if (!in_process_input_ && evbuffer_get_length(channel_.input()) > 0) process_input();
}

void ClientConnection::reject(int status, std::string_view reason,
                              const http::RequestHead* request) {
  // After a framing error the rest of the stream cannot be trusted: answer and close.
  ClientHeadOptions head;
  head.status = status;
  head.version_minor = request_.version_minor;
  head.date = worker_.http_date();
  head.close = true;
  size_t body_bytes = write_error_response(channel_.output(), reason, head, /*head_request=*/false);
  ops::report_refusal(worker_.metrics(), worker_.running()->access_log.get(),
                      {status, reason, peer_address_, request, body_bytes});
  if (exchange_) {
    exchange_->abandon();
    worker_.retire(std::move(exchange_));
  }
  begin_lingering_close();
}

void ClientConnection::begin_lingering_close() {
  if (state_ == State::Closed) return;
  state_ = State::Lingering;
  if (!channel_.flush()) {
    close();
    return;
  }
  if (channel_.output_length() > 0) {
    arm_timer(worker_.running()->config->timeouts.client_send);
    return;  // on_channel_wrote() comes back here when everything is sent
  }
  shutdown(channel_.fd(), SHUT_WR);
  channel_.set_reading(true);
  evbuffer_drain(channel_.input(), evbuffer_get_length(channel_.input()));
  if (channel_.eof()) {
    close();
    return;
  }
  arm_timer(kLingerTime);
}

void ClientConnection::on_timer(void* self) {
  auto* c = static_cast<ClientConnection*>(self);
  switch (c->state_) {
    case State::ReadingHead:
      if (c->head_started_) {
        c->reject(408, "request head not received in time");
      } else {
        c->close();  // idle keep-alive connection: close quietly
      }
      break;
    case State::ReadingBody:
      c->reject(408, "request body not received in time", &c->request_);
      break;
    case State::Answering:
    case State::Lingering:
    case State::Closed:
      c->close();  // the client stopped reading (client_send) or lingering ended
      break;
  }
}

}  // namespace etagd::proxy
