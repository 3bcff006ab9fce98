#include "proxy/client_connection.h"

#include <algorithm>
#include <cstring>

#include "base/invariant.h"
#include "http/head_reader.h"
#include "http/http_date.h"
#include "http/status.h"
#include "net/socket_address.h"
#include "ops/client_error.h"
#include "proxy/exchange.h"
#include "proxy/http1_writer.h"
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

// Keeps an entry (and so its body) alive while the kernel has not taken all of the body: the
// evbuffer calls this when it no longer references the bytes. An entry evicted meanwhile is
// freed here, after its last send. The reference travels as the raw pointer, so a hit
// allocates nothing to keep it.
void release_entry(const void*, size_t, void* entry) {
  cache::EntryRef::from_raw(static_cast<const cache::CacheEntry*>(entry));
}

}  // namespace

ClientConnection::ClientConnection(Worker& worker, std::unique_ptr<net::Transport> transport,
                                   const sockaddr* peer, uint16_t port, std::string_view scheme,
                                   bool http2)
    : worker_(worker),
      transport_(std::move(transport)),
      timer_(worker.base(), &ClientConnection::on_timer, this),
      scanner_(http::HeadKind::Request, head_limits(*worker.running()->config)) {
  http2_preface_possible_ = http2;
  transport_->set_handler(*this);
  std::memcpy(&peer_, peer, peer->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  client_.peer = net::address_text(peer);
  client_.client = client_.peer;
  client_.port = port;
  client_.scheme = scheme;
}

ClientConnection::~ClientConnection() = default;

void ClientConnection::start() {
  transport_->set_reading(true);
  // A new connection gets client_header to send its first request (as nginx does).
  arm_timer(worker_.running()->config->timeouts.client_header);
}

void ClientConnection::arm_timer(std::chrono::milliseconds after) { timer_.arm(after); }

bool ClientConnection::must_close_after_answer() const {
  return close_after_answer_ || drain_requested_ || !request_.keep_alive;
}

void ClientConnection::close_when_idle() {
  drain_requested_ = true;
  if (state_ == State::ReadingHead && !head_started_ && transport_->output_length() == 0) close();
}

void ClientConnection::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  timer_.cancel();
  transport_->set_reading(false);
  if (exchange_) {
    exchange_->abandon();
    worker_.retire(std::move(exchange_));
  }
  worker_.close_connection(this);
}

bool ClientConnection::flush_output() {
  if (state_ == State::Closed) return false;
  if (!transport_->flush()) {
    close();
    return false;
  }
  if (transport_->output_length() > 0) {
    arm_timer(worker_.running()->config->timeouts.client_send);
  }
  // The drain an exchange waits for is reported by on_transport_wrote(), from the write event.
  // A flush that takes the buffer below the low watermark by itself (the client read quickly
  // since the exchange paused its upstream) would otherwise leave the event disarmed and the
  // upstream paused for good. Keep the event armed: the socket is writable, so it fires on
  // the next loop turn, outside whatever exchange code called this.
  if (waiting_for_drain_ && transport_->output_length() <= kLowWatermark) {
    transport_->await_writable();
  }
  return true;
}

void ClientConnection::on_transport_write_error(int) { close(); }

void ClientConnection::on_transport_wrote() {
  if (state_ == State::Closed) return;
  size_t pending = transport_->output_length();
  if (pending > 0) {
    arm_timer(worker_.running()->config->timeouts.client_send);
  }
  if (waiting_for_drain_ && pending <= kLowWatermark) {
    waiting_for_drain_ = false;
    if (exchange_) exchange_->on_downstream_drained();
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

void ClientConnection::on_transport_readable() {
  if (state_ == State::Closed) return;
  if (state_ == State::Lingering) {
    evbuffer_drain(transport_->input(), evbuffer_get_length(transport_->input()));
    if (transport_->eof() || transport_->error() != 0) close();
    return;
  }
  if (transport_->error() != 0) {
    close();
    return;
  }
  if (state_ == State::Answering) {
    // Pipelined bytes wait in the input buffer; stop reading if they pile up. An EOF while
    // answering is a half-close (`printf ... | nc -N`): the requests already buffered are still
    // answered, and read_head() closes once no complete head is left.
    if (evbuffer_get_length(transport_->input()) > kHighWatermark) transport_->set_reading(false);
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
      if (transport_->output_length() > kHighWatermark) break;
      if (!read_head()) break;
    }
    if (state_ == State::ReadingBody && !read_body()) break;
  }
  in_process_input_ = false;
}

bool ClientConnection::read_head() {
  evbuffer* in = transport_->input();
  size_t avail = evbuffer_get_length(in);
  const config::Config& cfg = *worker_.running()->config;
  if (avail == 0) {
    if (transport_->eof()) close();
    return false;
  }
  if (!head_started_) {
    head_started_ = true;
    arm_timer(cfg.timeouts.client_header);
  }
  if (http2_preface_possible_ && !may_be_http1()) return false;
  http::HeadScan scan =
      http::take_head(in, scanner_, cfg.limits.max_header_bytes + 1024, head_buf_);
  switch (scan.status) {
    case http::HeadScan::Status::NeedMore:
      if (transport_->eof()) close();  // the client gave up mid-head: nobody to answer
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
  http2_preface_possible_ = false;
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
  if (!body_) body_ = base::make_evbuffer();
  body_remaining_ = request_.content_length.value_or(0);
  chunked_.reset();
  sent_continue_ = false;
  ETAGD_ASSERT(state_ == State::ReadingHead, "a body follows its head");
  state_ = State::ReadingBody;
  arm_timer(cfg.timeouts.client_body);
  return true;
}

bool ClientConnection::may_be_http1() {
  // RFC 9113 §3.4: the client connection preface. As a request line it is "PRI * HTTP/2.0",
  // which the head scanner refuses, so it is recognised before the scanner runs.
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  evbuffer* in = transport_->input();
  size_t n = std::min(evbuffer_get_length(in), kPreface.size());
  const unsigned char* bytes = evbuffer_pullup(in, static_cast<ev_ssize_t>(n));
  if (std::memcmp(bytes, kPreface.data(), n) != 0) {
    http2_preface_possible_ = false;
    return true;
  }
  if (n < kPreface.size()) {
    if (transport_->eof()) close();
    return false;  // wait for the rest (client_header bounds the wait)
  }
  // The HTTP/2 session takes the transport, the preface still in its input, and this
  // connection goes away without closing it (nor giving back its admission).
  ETAGD_ASSERT(state_ == State::ReadingHead && !exchange_, "only a fresh connection changes protocol");
  state_ = State::Closed;
  timer_.cancel();
  worker_.switch_to_http2(this, std::move(transport_), reinterpret_cast<const sockaddr*>(&peer_),
                          client_.port, client_.scheme);
  return false;
}

bool ClientConnection::read_body() {
  evbuffer* in = transport_->input();
  const config::Config& cfg = *worker_.running()->config;
  size_t avail = evbuffer_get_length(in);
  if (avail == 0) {
    if (transport_->eof()) {
      close();
      return false;
    }
    // RFC 9110 §10.1.1: the client waits for 100 (Continue) before sending the body.
    if (request_.expect_continue && !sent_continue_) {
      sent_continue_ = true;
      evbuffer_add(transport_->output(), "HTTP/1.1 100 Continue\r\n\r\n", 25);
      flush_output();
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
  ETAGD_ASSERT(state_ == State::ReadingHead || state_ == State::ReadingBody,
               "a request is answered once it has been read");
  ETAGD_ASSERT(!exchange_, "one exchange at a time: pipelined requests wait their turn");
  state_ = State::Answering;
  head_started_ = false;
  timer_.cancel();
  if (!request_.keep_alive) close_after_answer_ = true;
  // Who the client is can change with the config (trusted_proxies) and with each request's
  // X-Forwarded-For, so it is settled per request.
  const std::vector<config::IpNetwork>& trusted = worker_.running()->config->trusted_proxies;
  client_.trusted_peer =
      !trusted.empty() && is_trusted(reinterpret_cast<const sockaddr*>(&peer_), trusted);
  client_.client = client_address(request_.headers, client_.trusted_peer, client_.peer, trusted);
  exchange_ = std::make_unique<Exchange>(worker_, *this, request_, body_.get());
  exchange_->start();
}

std::string_view ClientConnection::protocol() const {
  return request_.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
}

void ClientConnection::send_interim(int status, std::string_view fields) {
  ETAGD_ASSERT(pending_head_.empty(), "an interim response comes before the final head");
  // RFC 9110 §15.2: a server must not send a 1xx to an HTTP/1.0 client.
  if (state_ == State::Closed || request_.version_minor < 1) return;
  std::string head = "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  head.append(http::reason_phrase(status));
  head += "\r\n";
  head.append(fields);
  head += "\r\n";
  evbuffer_add(transport_->output(), head.data(), head.size());
  // The point of Early Hints is to arrive before the final response: send it now.
  flush_output();
}

void ClientConnection::start_answer(const AnswerHead& a) {
  ETAGD_ASSERT(state_ == State::Answering || state_ == State::Closed,
               "an answer belongs to a request being answered");
  Http1Head h;
  h.status = a.status;
  h.version_minor = request_.version_minor;
  char origin_date[http::kHttpDateLength];
  if (a.date >= 0) {
    http::format_http_date(a.date, origin_date);
    h.date = std::string_view(origin_date, http::kHttpDateLength);
  } else {
    h.date = worker_.http_date();
  }
  h.fields = a.fields;
  h.age = a.age;
  h.status_header = a.status_header;
  if (a.cache_status != ops::CacheStatus::None) {
    h.cache_status = ops::cache_status_text(a.cache_status, a.heuristic_freshness);
  }
  bool head_request = request_.method == http::Method::Head;
  if (a.no_content) {
    framing_ = http::BodyFraming::None;
  } else if (a.content_length) {
    framing_ = http::BodyFraming::ContentLength;
    h.content_length = *a.content_length;
  } else if (head_request) {
    framing_ = http::BodyFraming::None;
  } else if (request_.version_minor >= 1) {
    framing_ = http::BodyFraming::Chunked;
  } else {
    framing_ = http::BodyFraming::CloseDelimited;  // an HTTP/1.0 client, a body of unknown length
  }
  h.framing = framing_;
  h.close = must_close_after_answer() || framing_ == http::BodyFraming::CloseDelimited;
  if (h.close) close_after_answer_ = true;
  pending_head_.clear();
  append_http1_head(pending_head_, h);
  // A HEAD answer announces the length of the body it does not carry.
  if (head_request) framing_ = http::BodyFraming::None;
}

void ClientConnection::commit_head() {
  if (pending_head_.empty()) return;
  evbuffer_add(transport_->output(), pending_head_.data(), pending_head_.size());
  pending_head_.clear();
}

bool ClientConnection::send_body(const char* data, size_t len) {
  if (state_ == State::Closed) return false;
  if (framing_ == http::BodyFraming::None || len == 0) return true;
  commit_head();
  if (framing_ == http::BodyFraming::Chunked) {
    write_chunk(transport_->output(), data, len);
  } else {
    evbuffer_add(transport_->output(), data, len);
  }
  if (transport_->output_length() <= kHighWatermark) return true;
  if (!flush_output()) return false;  // the client is gone: the exchange was abandoned
  if (transport_->output_length() <= kHighWatermark) return true;
  waiting_for_drain_ = true;
  return false;
}

void ClientConnection::send_entry_body(const cache::EntryRef& entry, std::string_view body) {
  if (state_ == State::Closed || framing_ == http::BodyFraming::None || body.empty()) return;
  commit_head();
  cache::EntryRef held = entry;
  const cache::CacheEntry* raw = held.release_to_raw();
  if (evbuffer_add_reference(transport_->output(), body.data(), body.size(), &release_entry,
                             const_cast<cache::CacheEntry*>(raw)) != 0) {
    cache::EntryRef::from_raw(raw);  // not added: drop the reference again
  }
}

void ClientConnection::flush() {
  if (state_ == State::Closed) return;
  commit_head();
  flush_output();
}

bool ClientConnection::retract_answer() {
  if (pending_head_.empty()) return false;
  pending_head_.clear();
  return true;
}

void ClientConnection::abort_answer() {
  if (state_ == State::Closed) return;
  commit_head();
  transport_->flush();  // best effort: whatever the socket takes now
  // Without a length or chunks, a plain close would make the body look complete.
  if (framing_ == http::BodyFraming::CloseDelimited) transport_->abort_on_close();
  close();
}

void ClientConnection::end_answer() {
  if (state_ == State::Closed) return;
  commit_head();
  if (framing_ == http::BodyFraming::Chunked) write_last_chunk(transport_->output());
  if (exchange_) worker_.retire(std::move(exchange_));
  if (body_) evbuffer_drain(body_.get(), evbuffer_get_length(body_.get()));
  if (must_close_after_answer()) {
    begin_lingering_close();
    return;
  }
  ETAGD_ASSERT(state_ == State::Answering, "the next request is read once this one is answered");
  state_ = State::ReadingHead;
  scanner_ = http::HeadScanner(http::HeadKind::Request, head_limits(*worker_.running()->config));
  transport_->set_reading(true);
  if (!flush_output()) return;
  if (transport_->output_length() == 0) {
    arm_timer(worker_.running()->config->timeouts.client_idle);
  }
  // Pipelined requests already buffered: the loop in process_input() picks them up when this
  // answer was synchronous; otherwise start it here.
  if (!in_process_input_ && evbuffer_get_length(transport_->input()) > 0) process_input();
}

void ClientConnection::reject(int status, std::string_view reason,
                              const http::RequestHead* request) {
  // After a framing error the rest of the stream cannot be trusted: answer and close.
  Http1Head head;
  head.version_minor = request_.version_minor;
  head.date = worker_.http_date();
  head.close = true;
  size_t body_bytes =
      write_http1_error(transport_->output(), status, reason, head, /*head_request=*/false);
  ops::report_refusal(worker_.metrics(), worker_.running()->access_log.get(),
                      {status, reason, client_.peer, request, body_bytes, protocol()});
  if (exchange_) {
    exchange_->abandon();
    worker_.retire(std::move(exchange_));
  }
  begin_lingering_close();
}

void ClientConnection::begin_lingering_close() {
  if (state_ == State::Closed) return;
  state_ = State::Lingering;
  if (!transport_->flush()) {
    close();
    return;
  }
  if (transport_->output_length() > 0) {
    arm_timer(worker_.running()->config->timeouts.client_send);
    return;  // on_transport_wrote() comes back here when everything is sent
  }
  transport_->shutdown_write();
  transport_->set_reading(true);
  evbuffer_drain(transport_->input(), evbuffer_get_length(transport_->input()));
  if (transport_->eof()) {
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
