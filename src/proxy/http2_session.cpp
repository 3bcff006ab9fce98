#include "proxy/http2_session.h"

#include <algorithm>
#include <cstring>

#include "base/invariant.h"
#include "net/socket_address.h"
#include "ops/metrics.h"
#include "ops/protocol_abuse.h"
#include "proxy/http2_stream.h"
#include "proxy/running_config.h"
#include "proxy/worker.h"

namespace etagd::proxy {

namespace {

// How long a closing connection keeps reading (and discarding) after its last frame, so the
// client receives the GOAWAY instead of a reset caused by bytes it had in flight.
constexpr std::chrono::milliseconds kLingerTime{1000};

// nghttp2's defaults for these are sound; they are set here so that the bounds are ours to
// read, whatever a later libnghttp2 defaults to.
constexpr size_t kMaxContinuations = 8;     // CONTINUATION frames after one HEADERS (CVE-2024-28182)
constexpr size_t kMaxSettings = 32;         // entries in one SETTINGS frame
constexpr size_t kMaxOutboundAck = 1000;    // SETTINGS/PING ACKs queued for a client not reading

struct CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* c) const { nghttp2_session_callbacks_del(c); }
};
struct OptionDeleter {
  void operator()(nghttp2_option* o) const { nghttp2_option_del(o); }
};

Http2Session& self_of(void* p) { return *static_cast<Http2Session*>(p); }

}  // namespace

Http2Session::Http2Session(Worker& worker, std::unique_ptr<net::Transport> transport,
                           const sockaddr* peer, uint16_t port, std::string_view scheme)
    : worker_(worker),
      transport_(std::move(transport)),
      timer_(worker.base(), &Http2Session::on_timer, this),
      generation_(worker.running()->generation),
      resets_per_second_(worker.running()->config->limits.stream_resets_per_second),
      reset_burst_(2 * resets_per_second_),
      reset_tokens_(reset_burst_) {
  transport_->set_handler(*this);
  std::memcpy(&peer_, peer, peer->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  client_.peer = net::address_text(peer);
  client_.client = client_.peer;
  client_.port = port;
  client_.scheme = scheme;

  nghttp2_session_callbacks* raw_callbacks = nullptr;
  nghttp2_session_callbacks_new(&raw_callbacks);
  std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter> callbacks(raw_callbacks);
  nghttp2_session_callbacks_set_send_callback(raw_callbacks, &Http2Session::on_send);
  nghttp2_session_callbacks_set_send_data_callback(raw_callbacks, &Http2Session::on_send_data);
  nghttp2_session_callbacks_set_on_begin_headers_callback(raw_callbacks,
                                                         &Http2Session::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(raw_callbacks, &Http2Session::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw_callbacks,
                                                            &Http2Session::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(raw_callbacks,
                                                       &Http2Session::on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(raw_callbacks,
                                                         &Http2Session::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(raw_callbacks,
                                                       &Http2Session::on_frame_send);

  nghttp2_option* raw_option = nullptr;
  nghttp2_option_new(&raw_option);
  std::unique_ptr<nghttp2_option, OptionDeleter> option(raw_option);
  nghttp2_option_set_max_continuations(raw_option, kMaxContinuations);
  nghttp2_option_set_max_settings(raw_option, kMaxSettings);
  nghttp2_option_set_max_outbound_ack(raw_option, kMaxOutboundAck);
  // libnghttp2 has a reset bucket of its own (burst 1000, 33 a second by default; past it,
  // GOAWAY INTERNAL_ERROR with no word in the log). Twice as loose as ours, it is never
  // reached first: limits.stream_resets_per_second is the one bound.
  nghttp2_option_set_stream_reset_rate_limit(raw_option, static_cast<uint64_t>(2 * reset_burst_),
                                             static_cast<uint64_t>(2 * resets_per_second_));
  // Header lists are bounded per stream by our own limit (http2_stream.cpp), not nghttp2's.
  nghttp2_session* raw_session = nullptr;
  nghttp2_session_server_new2(&raw_session, raw_callbacks, this, raw_option);
  session_.reset(raw_session);
}

Http2Session::~Http2Session() {
  // Destroyed without close() only when the worker stops.
  if (!streams_.empty()) worker_.metrics().record_http2_streams_closed(streams_.size());
}

void Http2Session::start() {
  const config::Config& cfg = *worker_.running()->config;
  nghttp2_settings_entry settings[] = {
      // nghttp2 enforces it: a stream beyond it that comes before the client acknowledged
      // these SETTINGS is refused with REFUSED_STREAM (RFC 9113 §5.1.2; the client could not
      // know). One that comes after is a connection error PROTOCOL_ERROR in libnghttp2, a
      // client that ignores what it acknowledged.
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, cfg.limits.max_concurrent_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(cfg.limits.max_header_bytes)},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
  worker_.metrics().record_http2_connection(transport_->alpn_protocol() == "h2"
                                                ? ops::Http2Start::Alpn
                                                : ops::Http2Start::PriorKnowledge);
  transport_->set_reading(true);
  reset_refill_ = base::monotonic_now();
  // The preface (and perhaps more) already arrived on the HTTP/1.1 side: read it now.
  if (evbuffer_get_length(transport_->input()) > 0) {
    on_transport_readable();
  } else {
    send_now();
  }
}

Http2Stream* Http2Session::stream(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

// --- bytes in ---

void Http2Session::on_transport_readable() {
  if (closed_) return;
  evbuffer* in = transport_->input();
  if (finishing_) {  // lingering: what still comes is discarded
    evbuffer_drain(in, evbuffer_get_length(in));
    if (transport_->eof() || transport_->error() != 0) close();
    return;
  }
  if (transport_->error() != 0) {
    close();
    return;
  }
  ssize_t failure = 0;
  ++inside_nghttp2_;
  while (evbuffer_get_length(in) > 0) {
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) break;
    ssize_t used = nghttp2_session_mem_recv(session_.get(),
                                            static_cast<const uint8_t*>(vec.iov_base), vec.iov_len);
    if (used < 0) {
      failure = used;
      break;
    }
    evbuffer_drain(in, static_cast<size_t>(used));
  }
  --inside_nghttp2_;
  if (failure != 0) {
    evbuffer_drain(in, evbuffer_get_length(in));
    going_away_ = true;
    // A fatal error: a flood nghttp2 bounds (ACKs piling up, endless CONTINUATION frames)
    // gets ENHANCE_YOUR_CALM, anything else (a bad preface) PROTOCOL_ERROR. Where nghttp2 has
    // queued a GOAWAY of its own already, that one stands.
    bool flood = failure == NGHTTP2_ERR_FLOODED || failure == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
    nghttp2_session_terminate_session(session_.get(),
                                      flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
    ops::report_protocol_abuse(
        flood ? ops::ProtocolAbuse::FrameFlood : ops::ProtocolAbuse::ProtocolError, client_.peer,
        std::string("GOAWAY ") + (flood ? "ENHANCE_YOUR_CALM (" : "PROTOCOL_ERROR (") +
            nghttp2_strerror(static_cast<int>(failure)) + ")");
  }
  if (transport_->eof()) {
    close();  // the client is gone; nobody reads what we would send
    return;
  }
  // The client was heard from: the waits that count silence start again (re-armed below).
  if (timer_for_ == TimerFor::Request || timer_for_ == TimerFor::Ping ||
      timer_for_ == TimerFor::PingAck) {
    set_timer_for(TimerFor::Nothing);
  }
  send_now();
}

// --- bytes out ---

void Http2Session::send_soon() {
  if (inside_nghttp2_ > 0) {
    send_wanted_ = true;
    return;
  }
  send_now();
}

void Http2Session::send_now() {
  if (closed_ || finishing_) return;
  // Bounded: each round either empties nghttp2's queue, fills the socket, or wakes an
  // exchange that produces more; beyond that the write event continues.
  for (int round = 0; round < 16; ++round) {
    send_wanted_ = false;
    ++inside_nghttp2_;
    int rv = nghttp2_session_send(session_.get());
    --inside_nghttp2_;
    if (rv != 0) {
      close();
      return;
    }
    if (!transport_->flush()) {
      close();
      return;
    }
    std::vector<int32_t> drained;
    drained.swap(drained_);
    for (int32_t id : drained) {
      if (Http2Stream* s = stream(id)) s->resume_exchange();
      if (closed_) return;
    }
    bool more = send_wanted_ || !drained.empty() ||
                (transport_->output_length() == 0 && nghttp2_session_want_write(session_.get()));
    drained.clear();
    if (drained_.capacity() == 0) drained_.swap(drained);  // keep the capacity
    if (!more) break;
  }
  if (transport_->output_length() > 0) transport_->await_writable();
  // Answers the client does not read hold its next requests back.
  transport_->set_reading(transport_->output_length() <= kHighWatermark);
  if (!nghttp2_session_want_read(session_.get()) && !nghttp2_session_want_write(session_.get())) {
    finish();
    return;
  }
  if (going_away_ && streams_.empty()) {
    finish();
    return;
  }
  update_timer();
}

ssize_t Http2Session::on_send(nghttp2_session*, const uint8_t* data, size_t len, int,
                              void* self) {
  Http2Session& s = self_of(self);
  if (s.transport_->output_length() > kHighWatermark) return NGHTTP2_ERR_WOULDBLOCK;
  evbuffer_add(s.transport_->output(), data, len);
  return static_cast<ssize_t>(len);
}

int Http2Session::on_send_data(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                               size_t length, nghttp2_data_source* source, void* self) {
  Http2Session& s = self_of(self);
  if (s.transport_->output_length() > kHighWatermark) return NGHTTP2_ERR_WOULDBLOCK;
  ETAGD_ASSERT(frame->data.padlen == 0, "etagd sends no padding");
  evbuffer_add(s.transport_->output(), framehd, 9);
  auto* st = static_cast<Http2Stream*>(source->ptr);
  if (st->take_data(s.transport_->output(), length)) s.note_drained(st->id());
  s.progress_ = true;
  return 0;
}

void Http2Session::on_transport_wrote() {
  if (closed_) return;
  progress_ = true;
  if (finishing_) {
    if (transport_->output_length() == 0) finish();
    return;
  }
  send_now();
}

void Http2Session::on_transport_write_error(int) { close(); }

// --- frames in ---

int Http2Session::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  Http2Session& s = self_of(self);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto st = std::make_unique<Http2Stream>(s, frame->hd.stream_id, s.client_);
  s.streams_.emplace(frame->hd.stream_id, std::move(st));
  s.worker_.metrics().record_http2_stream_opened();
  // After a reload the session's SETTINGS (header list size) are the old config's: this
  // stream is served, and the client is told to open a new connection for the next ones.
  if (!s.going_away_ && s.worker_.running()->generation != s.generation_) {
    s.going_away_ = true;
    s.no_error_reason_ = ops::Http2GoawayReason::Reload;
    nghttp2_submit_goaway(s.session_.get(), NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                          NGHTTP2_NO_ERROR, nullptr, 0);
  }
  return 0;
}

int Http2Session::on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                            size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                            void* self) {
  Http2Session& s = self_of(self);
  // Trailers (a second HEADERS, RFC 9113 §8.1) are not forwarded: the upstream request has
  // a Content-Length, and nothing of etagd's reads them.
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  Http2Stream* st = s.stream(frame->hd.stream_id);
  if (st == nullptr || st->dispatched()) return 0;
  st->add_field(std::string_view(reinterpret_cast<const char*>(name), namelen),
                std::string_view(reinterpret_cast<const char*>(value), valuelen));
  return 0;
}

int Http2Session::on_data_chunk(nghttp2_session*, uint8_t, int32_t stream_id,
                                const uint8_t* data, size_t len, void* self) {
  Http2Session& s = self_of(self);
  if (Http2Stream* st = s.stream(stream_id)) st->add_body(data, len);
  return 0;
}

int Http2Session::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  Http2Session& s = self_of(self);
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA: {
      Http2Stream* st = s.stream(frame->hd.stream_id);
      if (st == nullptr || st->dispatched()) break;
      if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        st->dispatch();
      } else if (frame->hd.type == NGHTTP2_HEADERS) {
        st->check_announced_length();
      }
      break;
    }
    case NGHTTP2_RST_STREAM:
      s.worker_.metrics().record_http2_stream_reset();
      s.count_reset();
      break;
    default:
      break;
  }
  return 0;
}

int Http2Session::on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t, void* self) {
  Http2Session& s = self_of(self);
  auto it = s.streams_.find(stream_id);
  if (it == s.streams_.end()) return 0;
  it->second->on_closed();
  s.worker_.retire(std::move(it->second));
  s.streams_.erase(it);
  s.worker_.metrics().record_http2_streams_closed();
  return 0;
}

int Http2Session::on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  if (frame->hd.type != NGHTTP2_GOAWAY) return 0;
  Http2Session& s = self_of(self);
  using Reason = ops::Http2GoawayReason;
  // nghttp2's own GOAWAYs (a connection error it found itself) are counted here as well.
  uint32_t code = frame->goaway.error_code;
  Reason why = code == NGHTTP2_NO_ERROR            ? s.no_error_reason_
               : code == NGHTTP2_PROTOCOL_ERROR    ? Reason::ProtocolError
               : code == NGHTTP2_ENHANCE_YOUR_CALM ? Reason::EnhanceYourCalm
                                                   : Reason::OtherError;
  s.worker_.metrics().record_http2_goaway(why);
  return 0;
}

void Http2Session::count_reset() {
  base::MonoTime now = base::monotonic_now();
  double seconds = std::chrono::duration<double>(now - reset_refill_).count();
  reset_refill_ = now;
  reset_tokens_ = std::min(reset_burst_, reset_tokens_ + seconds * resets_per_second_);
  reset_tokens_ -= 1;
  if (reset_tokens_ < 0 && !going_away_) {
    // RFC 9113 §5.4.1 / CVE-2023-44487: each reset stream may have cost an upstream request.
    go_away(NGHTTP2_ENHANCE_YOUR_CALM);
    ops::report_protocol_abuse(ops::ProtocolAbuse::RapidReset, client_.peer,
                               "GOAWAY ENHANCE_YOUR_CALM");
  }
}

void Http2Session::go_away(uint32_t error_code) {
  going_away_ = true;
  // Terminates the session once the GOAWAY is sent: in-flight streams are cut.
  nghttp2_session_terminate_session(session_.get(), error_code);
  send_soon();
}

// --- ending ---

void Http2Session::close_when_idle() {
  if (closed_ || going_away_) return;
  going_away_ = true;
  no_error_reason_ = ops::Http2GoawayReason::Shutdown;
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  send_soon();
}

void Http2Session::finish() {
  if (closed_) return;
  if (!finishing_) {
    finishing_ = true;
    for (auto& [id, st] : streams_) st->on_closed();
  }
  if (!transport_->flush()) {
    close();
    return;
  }
  if (transport_->output_length() > 0) {
    set_timer_for(TimerFor::Send);
    timer_.arm(worker_.running()->config->timeouts.client_send);
    transport_->await_writable();
    return;  // on_transport_wrote() comes back here
  }
  transport_->shutdown_write();
  transport_->set_reading(true);
  evbuffer_drain(transport_->input(), evbuffer_get_length(transport_->input()));
  if (transport_->eof()) {
    close();
    return;
  }
  set_timer_for(TimerFor::Linger);
  timer_.arm(kLingerTime);
}

void Http2Session::close() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  transport_->set_reading(false);
  for (auto& [id, st] : streams_) {
    st->on_closed();
    worker_.retire(std::move(st));
  }
  worker_.metrics().record_http2_streams_closed(streams_.size());
  streams_.clear();
  worker_.close_connection(this);
}

// --- timers ---

void Http2Session::update_timer() {
  const config::Timeouts& t = worker_.running()->config->timeouts;
  size_t waiting = transport_->output_length();
  bool requests_only = !streams_.empty();
  for (auto& [id, st] : streams_) {
    waiting += st->buffered();
    requests_only = requests_only && st->waiting_for_client();
  }
  bool pinging = t.client_ping.count() > 0;
  TimerFor want = waiting > 0         ? TimerFor::Send
                  : streams_.empty()  ? TimerFor::Idle
                  : requests_only     ? TimerFor::Request
                  : pinging           ? TimerFor::Ping
                                      : TimerFor::Nothing;
  // A PING is out: its deadline stands until something arrives (on_transport_readable).
  if (want == TimerFor::Ping && timer_for_ == TimerFor::PingAck) want = TimerFor::PingAck;
  if (want == TimerFor::Send) {
    if (timer_for_ != TimerFor::Send || progress_) timer_.arm(t.client_send);
    progress_ = false;
  } else if (want != timer_for_) {
    if (want == TimerFor::Idle) timer_.arm(t.client_idle);
    if (want == TimerFor::Request) timer_.arm(t.client_header);
    if (want == TimerFor::Ping) timer_.arm(t.client_ping);
    if (want == TimerFor::Nothing) timer_.cancel();
  }
  set_timer_for(want);
}

void Http2Session::set_timer_for(TimerFor next) {
  ETAGD_ASSERT(next != TimerFor::PingAck || timer_for_ == TimerFor::Ping ||
                   timer_for_ == TimerFor::PingAck,
               "an answer to a PING is awaited only after the PING went out");
  ETAGD_ASSERT(timer_for_ != TimerFor::Linger || next == TimerFor::Linger,
               "a lingering connection only closes");
  timer_for_ = next;
}

void Http2Session::on_timer(void* self) {
  auto& s = *static_cast<Http2Session*>(self);
  switch (s.timer_for_) {
    case TimerFor::Idle:
    case TimerFor::Request:
      // RFC 9113 §6.8: GOAWAY, then close; no stream is in flight.
      s.no_error_reason_ = ops::Http2GoawayReason::Timeout;
      s.go_away(NGHTTP2_NO_ERROR);
      break;
    case TimerFor::Ping: {
      ETAGD_ASSERT(!s.streams_.empty(), "liveness PINGs only while streams are open");
      // A reload may have turned PINGs off since the timer was armed.
      config::Duration wait = s.worker_.running()->config->timeouts.client_ping;
      if (wait.count() == 0) {
        s.set_timer_for(TimerFor::Nothing);
        break;
      }
      // RFC 9113 §6.7: the peer must answer with a PING ACK; any frame shows it is there.
      s.set_timer_for(TimerFor::PingAck);
      s.timer_.arm(wait);
      nghttp2_submit_ping(s.session_.get(), NGHTTP2_FLAG_NONE, nullptr);
      s.send_soon();
      break;
    }
    case TimerFor::PingAck:
      // Gone without a FIN or RST, or too busy to answer: its streams are abandoned. NO_ERROR:
      // the client broke no rule, and one that is merely slow learns the last stream taken.
      s.no_error_reason_ = ops::Http2GoawayReason::PingTimeout;
      s.go_away(NGHTTP2_NO_ERROR);
      break;
    case TimerFor::Send:  // the client stopped reading (or keeps its window shut)
    case TimerFor::Linger:
    case TimerFor::Nothing:
      s.close();
      break;
  }
}

}  // namespace etagd::proxy
