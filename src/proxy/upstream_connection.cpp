#include "proxy/upstream_connection.h"

#include <sys/socket.h>

#include <algorithm>

#include "base/invariant.h"
#include "http/head_reader.h"
#include "proxy/upstream_pool.h"
#include "proxy/worker.h"

namespace etagd::proxy {

namespace {


// Response heads may be larger than what clients may send; this only bounds memory.
constexpr size_t kMaxResponseHeadBytes = 64 * 1024;
constexpr size_t kMaxResponseFields = 256;

ops::TlsHandshakeResult tls_handshake_result(const net::TlsTransport& tls) {
  using ops::TlsHandshakeResult;
  switch (tls.handshake_failure()) {
    case net::TlsHandshakeFailure::None:
      return tls.resumed() ? TlsHandshakeResult::Resumed : TlsHandshakeResult::Full;
    case net::TlsHandshakeFailure::Expired: return TlsHandshakeResult::Expired;
    case net::TlsHandshakeFailure::UnknownCa: return TlsHandshakeResult::UnknownCa;
    case net::TlsHandshakeFailure::NameMismatch: return TlsHandshakeResult::NameMismatch;
    case net::TlsHandshakeFailure::Protocol: return TlsHandshakeResult::Protocol;
  }
  return TlsHandshakeResult::Protocol;
}

}  // namespace

UpstreamConnection::UpstreamConnection(UpstreamPool& pool,
                                       std::unique_ptr<net::Transport> transport, bool connecting,
                                       const net::TlsTransport* tls)
    : pool_(pool),
      transport_(std::move(transport)),
      tls_(tls),
      timer_(pool.worker().base(), &UpstreamConnection::on_timer, this),
      state_(connecting ? State::Connecting : State::Active),
      scanner_(http::HeadKind::Response, http::HeadLimits{kMaxResponseHeadBytes, kMaxResponseFields}) {
  transport_->set_handler(*this);
  transport_->set_read_size(64 * 1024);
}

UpstreamConnection::~UpstreamConnection() = default;

void UpstreamConnection::start(evbuffer* request, bool head_request, UpstreamObserver* observer) {
  // A connection serves one request at a time: fresh from the pool (Idle) or just connected.
  ETAGD_ASSERT(state_ == State::Connecting || state_ == State::Idle || state_ == State::Active,
               "an upstream connection starts a request only when it has none");
  ETAGD_ASSERT(observer_ == nullptr, "an upstream connection has one observer at a time");
  observer_ = observer;
  head_request_ = head_request;
  ++requests_;
  got_bytes_ = false;
  in_body_ = false;
  reusable_ = false;
  paused_ = false;
  scanner_.reset();
  chunked_.reset();
  request_ = request;
  if (state_ == State::Connecting) {
    // The request waits until the connect has succeeded: writing it earlier would turn a
    // refused connection into a "send failed".
    timer_.arm(pool_.config().timeouts.upstream_connect);
    return;
  }
  send_request();
}

void UpstreamConnection::send_request() {
  state_ = State::Active;
  evbuffer_add_buffer_reference(transport_->output(), request_);
  transport_->set_reading(true);
  arm_read_timeout();
  if (!transport_->flush()) on_transport_write_error(transport_->error());
}

void UpstreamConnection::arm_read_timeout() {
  timer_.arm(pool_.config().timeouts.upstream_read);
}

void UpstreamConnection::pause_reading() {
  if (paused_ || state_ != State::Active) return;
  paused_ = true;
  transport_->set_reading(false);
  timer_.cancel();
}

void UpstreamConnection::resume_reading() {
  if (!paused_ || state_ != State::Active) return;
  paused_ = false;
  transport_->set_reading(true);
  arm_read_timeout();
  // Bytes read before the pause are still buffered.
  if (evbuffer_get_length(transport_->input()) > 0) read_response();
}

void UpstreamConnection::detach() {
  observer_ = nullptr;
  timer_.cancel();
  transport_->set_reading(false);
  if (state_ != State::Complete && state_ != State::Idle) state_ = State::Failed;
}

void UpstreamConnection::park() {
  ETAGD_ASSERT(state_ == State::Complete && reusable_,
               "only a connection whose response ended cleanly goes back to the pool");
  state_ = State::Idle;
  observer_ = nullptr;
  timer_.arm(pool_.config().upstream.idle_timeout);
  transport_->set_reading(true);
}

void UpstreamConnection::on_timer(void* self) {
  auto* c = static_cast<UpstreamConnection*>(self);
  switch (c->state_) {
    case State::Connecting: c->fail(UpstreamError::ConnectTimeout); break;
    case State::Active: c->fail(UpstreamError::ReadTimeout); break;
    case State::Idle: c->pool_.drop_idle(c); break;
    case State::Complete:
    case State::Failed: break;
  }
}

void UpstreamConnection::fail(UpstreamError e) {
  state_ = State::Failed;
  timer_.cancel();
  transport_->set_reading(false);
  UpstreamObserver* o = std::exchange(observer_, nullptr);
  if (o) o->on_upstream_error(e);
}

std::string_view UpstreamConnection::failure_detail() const {
  if (tls_ == nullptr || tls_->handshake_failure() == net::TlsHandshakeFailure::None) return {};
  return tls_->failure_reason();
}

void UpstreamConnection::on_transport_connected(bool ok) {
  if (state_ != State::Connecting) return;
  if (tls_ != nullptr && (ok || tls_->handshake_failure() != net::TlsHandshakeFailure::None)) {
    ops::WorkerMetrics& metrics = pool_.worker().metrics();
    metrics.record_upstream_tls_handshake(tls_handshake_result(*tls_));
    if (!ok) {
      fail(UpstreamError::TlsHandshakeFailed);
      return;
    }
  }
  if (!ok) {
    fail(UpstreamError::ConnectFailed);
    return;
  }
  if (observer_ != nullptr) send_request();
}

void UpstreamConnection::on_transport_write_error(int) {
  if (state_ == State::Active && !got_bytes_ && tls_ != nullptr &&
      tls_->handshake_failure() != net::TlsHandshakeFailure::None) {
    pool_.worker().metrics().record_upstream_tls_handshake(tls_handshake_result(*tls_));
    fail(UpstreamError::TlsHandshakeFailed);
    return;
  }
  // The upstream may have answered (and closed) before reading all of the request; read what
  // it sent before giving up.
  if (state_ == State::Active && evbuffer_get_length(transport_->input()) > 0) {
    read_response();
    if (state_ != State::Active) return;
  }
  fail(got_bytes_ ? UpstreamError::InvalidResponse : UpstreamError::SendFailed);
}

void UpstreamConnection::on_transport_readable() {
  if (state_ == State::Idle) {
    // An idle connection has nothing to say: EOF, an error or a stray byte all end it.
    pool_.drop_idle(this);
    return;
  }
  if (state_ != State::Active) return;
  arm_read_timeout();
  read_response();
}

void UpstreamConnection::read_response() {
  // An observer may hand this connection back to the pool, and a later request may take it,
  // before control returns here: stop as soon as the request being read is not ours any more.
  const uint32_t request = requests_;
  while (state_ == State::Active && observer_ != nullptr && requests_ == request) {
    bool more = in_body_ ? read_body() : read_head();
    if (!more || paused_) break;
  }
  if (state_ == State::Active && observer_ != nullptr && requests_ == request) {
    observer_->on_upstream_input_drained();
  }
}

bool UpstreamConnection::read_head() {
  evbuffer* in = transport_->input();
  size_t avail = evbuffer_get_length(in);
  if (avail > 0) got_bytes_ = true;
  if (avail == 0 && !transport_->eof() && transport_->error() == 0) return false;
  http::HeadScan scan = http::take_head(in, scanner_, kMaxResponseHeadBytes + 1024, head_buf_);
  switch (scan.status) {
    case http::HeadScan::Status::NeedMore:
      if (!got_bytes_ && tls_ != nullptr &&
          tls_->handshake_failure() != net::TlsHandshakeFailure::None) {
        // The origin refused the handshake after ours was done (TLS 1.3 client certificates).
        pool_.worker().metrics().record_upstream_tls_handshake(tls_handshake_result(*tls_));
        fail(UpstreamError::TlsHandshakeFailed);
        return false;
      }
      if (transport_->eof() || transport_->error() != 0) {
        fail(got_bytes_ ? UpstreamError::InvalidResponse : UpstreamError::ClosedBeforeResponse);
      }
      return false;
    case http::HeadScan::Status::Invalid:
    case http::HeadScan::Status::TooLarge:
      fail(UpstreamError::InvalidResponse);
      return false;
    case http::HeadScan::Status::Complete:
      break;
  }
  if (!http::parse_response_head(head_buf_, scan, head_).empty()) {
    fail(UpstreamError::InvalidResponse);
    return false;
  }
  if (head_.status < 200) {
    // 1xx interim responses (RFC 9110 §15.2) precede the final one; 101 would switch
    // protocols, which etagd does not proxy.
    if (head_.status == 101) {
      fail(UpstreamError::InvalidResponse);
      return false;
    }
    observer_->on_upstream_interim(head_);
    return observer_ != nullptr;
  }
  framing_ = http::response_body_framing(head_request_, head_);
  remaining_ = head_.content_length.value_or(0);
  in_body_ = true;
  observer_->on_upstream_head(head_);
  if (observer_ == nullptr) return false;
  if (framing_ == http::BodyFraming::None) {
    complete();
    return false;
  }
  return true;
}

bool UpstreamConnection::read_body() {
  evbuffer* in = transport_->input();
  size_t avail = evbuffer_get_length(in);
  if (avail == 0) {
    if (transport_->eof() || transport_->error() != 0) {
      if (framing_ == http::BodyFraming::CloseDelimited && transport_->error() == 0) {
        complete();
      } else {
        fail(UpstreamError::TruncatedBody);
      }
    }
    return false;
  }
  // Deliver the buffered bytes segment by segment without copying them first.
  evbuffer_iovec vec[8];
  int n = evbuffer_peek(in, -1, nullptr, vec, 8);
  n = std::min(n, 8);
  size_t consumed_total = 0;
  bool done = false;
  for (int i = 0; i < n && !done && observer_ != nullptr; ++i) {
    const char* p = static_cast<const char*>(vec[i].iov_base);
    size_t len = vec[i].iov_len;
    switch (framing_) {
      case http::BodyFraming::ContentLength: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(len, remaining_));
        observer_->on_upstream_body(p, take);
        remaining_ -= take;
        consumed_total += take;
        done = remaining_ == 0;
        break;
      }
      case http::BodyFraming::CloseDelimited:
        observer_->on_upstream_body(p, len);
        consumed_total += len;
        break;
      case http::BodyFraming::Chunked: {
        size_t used = 0;
        auto status = chunked_.decode(p, len, used, [this](const char* d, size_t l) {
          if (observer_ != nullptr) observer_->on_upstream_body(d, l);
        });
        consumed_total += used;
        if (status == http::ChunkedDecoder::Status::Invalid) {
          evbuffer_drain(in, consumed_total);
          fail(UpstreamError::InvalidResponse);
          return false;
        }
        done = status == http::ChunkedDecoder::Status::Done;
        break;
      }
      case http::BodyFraming::None:
        done = true;
        break;
    }
  }
  evbuffer_drain(in, consumed_total);
  if (observer_ == nullptr) return false;
  if (done) {
    complete();
    return false;
  }
  return true;
}

void UpstreamConnection::complete() {
  ETAGD_ASSERT(state_ == State::Active, "a response completes while it is being read");
  state_ = State::Complete;
  timer_.cancel();
  // Reusable only when the response was framed, keep-alive, and nothing followed it.
  reusable_ = head_.keep_alive && framing_ != http::BodyFraming::CloseDelimited &&
              evbuffer_get_length(transport_->input()) == 0 && !transport_->eof() &&
              transport_->error() == 0 && evbuffer_get_length(transport_->output()) == 0;
  // Reading stays enabled: a connection going back to the pool keeps its read event (EOF
  // detection while idle) instead of an epoll_ctl delete now and an add in park().
  UpstreamObserver* o = std::exchange(observer_, nullptr);
  if (o) o->on_upstream_complete();
}

}  // namespace etagd::proxy
