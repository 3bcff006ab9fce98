#include "proxy/http2_stream.h"

#include <algorithm>

#include "base/invariant.h"
#include "http/field_writer.h"
#include "http/http_date.h"
#include "http/token.h"
#include "ops/client_error.h"
#include "proxy/error_answer.h"
#include "proxy/exchange.h"
#include "proxy/http2_session.h"
#include "proxy/running_config.h"
#include "proxy/worker.h"

namespace etagd::proxy {

namespace {

// Keeps an entry alive while its body is referenced from an output buffer (as on HTTP/1.1).
void release_entry(const void*, size_t, void* entry) {
  cache::EntryRef::from_raw(static_cast<const cache::CacheEntry*>(entry));
}

// RFC 9113 §8.2.2: fields that only mean something to one HTTP/1.1 connection are never sent.
bool is_connection_specific(std::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "proxy-connection" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade";
}

}  // namespace

Http2Stream::Http2Stream(Http2Session& session, int32_t id, const ClientIdentity& connection)
    : session_(session), id_(id), client_(connection), body_out_(base::make_evbuffer()) {}

Http2Stream::~Http2Stream() = default;

void Http2Stream::add_field(std::string_view name, std::string_view value) {
  if (request_too_large_) return;
  fields_.add(name, value);
  const config::Config& cfg = *session_.worker().running()->config;
  // The list may not grow past the limits however it was compressed (an HPACK bomb expands
  // a few bytes into many fields): what is over is not kept, and the answer is 431.
  if (fields_.list_size() > cfg.limits.max_header_bytes || fields_.count() > cfg.limits.max_headers) {
    request_too_large_ = true;
  }
}

void Http2Stream::add_body(const uint8_t* data, size_t len) {
  if (state_ != State::ReadingRequest || body_too_large_) return;
  body_received_ += len;
  if (body_received_ > session_.worker().running()->config->limits.max_request_body) {
    body_too_large_ = true;
    return;
  }
  if (!body_in_) body_in_ = base::make_evbuffer();
  evbuffer_add(body_in_.get(), data, len);
}

void Http2Stream::dispatch() {
  ETAGD_ASSERT(state_ == State::ReadingRequest, "a stream's request is dispatched once");
  state_ = State::Answering;
  if (request_too_large_) {
    refuse(431, "request header fields too large");
    return;
  }
  std::string_view error = fields_.make_head(request_);
  if (!error.empty()) {
    refuse(error == http::kUnsupportedExpectation ? 417 : 400, error);
    return;
  }
  const config::Config& cfg = *session_.worker().running()->config;
  if (body_too_large_ || request_.content_length.value_or(0) > cfg.limits.max_request_body) {
    refuse(413, "request body too large");
    return;
  }
  // Who the client is can change with each request's X-Forwarded-For (client_identity.h).
  client_.trusted_peer =
      !cfg.trusted_proxies.empty() && is_trusted(session_.peer(), cfg.trusted_proxies);
  client_.client =
      client_address(request_.headers, client_.trusted_peer, client_.peer, cfg.trusted_proxies);
  exchange_ = std::make_unique<Exchange>(session_.worker(), *this, request_, body_in_.get());
  exchange_->start();
}

void Http2Stream::check_announced_length() {
  std::optional<uint64_t> length = fields_.announced_length();
  if (request_too_large_ || !length ||
      *length <= session_.worker().running()->config->limits.max_request_body) {
    return;
  }
  state_ = State::Answering;
  // The views of the 413's access-log line need the head; its own errors do not matter here.
  // What DATA still comes is discarded (add_body).
  fields_.make_head(request_);
  refuse(413, "request body too large");
}

bool Http2Stream::waiting_for_client() const {
  if (state_ == State::ReadingRequest) return true;
  return state_ == State::Answered && buffered() == 0 &&
         nghttp2_session_get_stream_remote_close(session_.nghttp2(), id_) == 0;
}

void Http2Stream::refuse(int status, std::string_view reason) {
  std::string body = error_answer_body(status, reason);
  AnswerHead head;
  head.status = status;
  head.fields = kErrorAnswerFields;
  head.content_length = body.size();
  start_answer(head);
  bool head_request = request_.method == http::Method::Head;
  if (!head_request) send_body(body.data(), body.size());
  ops::report_refusal(session_.worker().metrics(),
                      session_.worker().running()->access_log.get(),
                      {status, reason, client_.peer, &request_, head_request ? 0 : body.size(),
                       protocol()});
  end_answer();
}

void Http2Stream::on_closed() {
  state_ = State::Closed;
  abandon_exchange();
}

void Http2Stream::abandon_exchange() {
  if (!exchange_) return;
  exchange_->abandon();
  session_.worker().retire(std::move(exchange_));
}

void Http2Stream::send_interim(int status, std::string_view fields) {
  // RFC 9113 §8.6: HTTP/2 has no 101 (Switching Protocols); and an interim response comes
  // before the final head (RFC 9113 §8.1), never after it was submitted.
  if (state_ != State::Answering || status == 101 || status < 100 || status > 199 || head_held_) {
    return;
  }
  std::string bytes;
  std::vector<std::pair<uint32_t, uint32_t>> spans;
  bytes.reserve(fields.size() + 16);
  auto add = [&](std::string_view name, std::string_view value) {
    uint32_t n = static_cast<uint32_t>(bytes.size());
    for (char c : name) bytes += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    uint32_t v = static_cast<uint32_t>(bytes.size());
    bytes.append(value);
    spans.emplace_back(n, v - n);
    spans.emplace_back(v, static_cast<uint32_t>(value.size()));
  };
  char code[3] = {static_cast<char>('0' + status / 100 % 10),
                  static_cast<char>('0' + status / 10 % 10), static_cast<char>('0' + status % 10)};
  add(":status", std::string_view(code, 3));
  std::string_view rest = fields;
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    size_t before = bytes.size();
    add(line.substr(0, colon), http::trim_ows(line.substr(colon + 1)));
    if (is_connection_specific(std::string_view(bytes).substr(before, colon))) {
      bytes.resize(before);
      spans.resize(spans.size() - 2);
    }
  }
  std::vector<nghttp2_nv> nv;
  nv.reserve(spans.size() / 2);
  auto* base = reinterpret_cast<uint8_t*>(bytes.data());
  for (size_t i = 0; i + 1 < spans.size(); i += 2) {
    nv.push_back({base + spans[i].first, base + spans[i + 1].first, spans[i].second,
                  spans[i + 1].second, NGHTTP2_NV_FLAG_NONE});
  }
  // A HEADERS frame without END_STREAM ahead of the final one (nghttp2 copies the fields).
  // The point of Early Hints is to arrive early: sent now.
  nghttp2_submit_headers(session_.nghttp2(), NGHTTP2_FLAG_NONE, id_, nullptr, nv.data(),
                         nv.size(), nullptr);
  session_.send_soon();
}

void Http2Stream::start_answer(const AnswerHead& a) {
  ETAGD_ASSERT(state_ == State::Answering, "an answer belongs to a request being answered");
  head_bytes_.clear();
  head_spans_.clear();
  head_bytes_.reserve(a.fields.size() + 160);
  auto add = [this](std::string_view name, std::string_view value) {
    uint32_t n = static_cast<uint32_t>(head_bytes_.size());
    for (char c : name) head_bytes_ += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    uint32_t v = static_cast<uint32_t>(head_bytes_.size());
    head_bytes_.append(value);
    head_spans_.emplace_back(n, v - n);
    head_spans_.emplace_back(v, static_cast<uint32_t>(value.size()));
  };
  char status[4] = {static_cast<char>('0' + a.status / 100 % 10),
                    static_cast<char>('0' + a.status / 10 % 10),
                    static_cast<char>('0' + a.status % 10), 0};
  add(":status", std::string_view(status, 3));
  char origin_date[http::kHttpDateLength];
  if (a.date >= 0) {
    http::format_http_date(a.date, origin_date);
    add("date", std::string_view(origin_date, http::kHttpDateLength));
  } else {
    add("date", session_.worker().http_date());
  }
  // The block is "Name: value\r\n" lines (response_fields.h).
  std::string_view rest = a.fields;
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = http::trim_ows(line.substr(colon + 1));
    size_t before = head_bytes_.size();
    add(name, value);
    std::string_view lower = std::string_view(head_bytes_).substr(before, name.size());
    if (is_connection_specific(lower)) {  // take it back
      head_bytes_.resize(before);
      head_spans_.resize(head_spans_.size() - 2);
    }
  }
  if (a.age >= 0) {
    std::string age;
    http::append_decimal(age, static_cast<uint64_t>(a.age));
    add("age", age);
  }
  if (a.cache_status != ops::CacheStatus::None && !a.status_header.empty()) {
    add(a.status_header, ops::cache_status_text(a.cache_status, a.heuristic_freshness));
  }
  if (a.content_length && !a.no_content) {
    std::string length;
    http::append_decimal(length, *a.content_length);
    add("content-length", length);
  }
  has_body_ = !a.no_content && request_.method != http::Method::Head;
  head_held_ = true;
}

void Http2Stream::submit_head() {
  if (!head_held_) return;
  head_held_ = false;
  if (state_ == State::Closed) return;
  std::vector<nghttp2_nv> nv;
  nv.reserve(head_spans_.size() / 2);
  auto* base = reinterpret_cast<uint8_t*>(head_bytes_.data());
  for (size_t i = 0; i + 1 < head_spans_.size(); i += 2) {
    nv.push_back({base + head_spans_[i].first, base + head_spans_[i + 1].first,
                  head_spans_[i].second, head_spans_[i + 1].second, NGHTTP2_NV_FLAG_NONE});
  }
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = [](nghttp2_session*, int32_t, uint8_t*, size_t length,
                              uint32_t* flags, nghttp2_data_source* source,
                              void*) -> ssize_t {
    return static_cast<Http2Stream*>(source->ptr)->next_data_length(length, flags);
  };
  nghttp2_submit_response(session_.nghttp2(), id_, nv.data(), nv.size(),
                          has_body_ ? &provider : nullptr);
}

ssize_t Http2Stream::next_data_length(size_t max, uint32_t* flags) {
  size_t have = buffered();
  if (have == 0 && !body_ended_) return NGHTTP2_ERR_DEFERRED;
  size_t n = std::min(have, max);
  // The bytes move from the buffer in Http2Session::on_send_data, without a copy.
  *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (body_ended_ && n == have) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

bool Http2Stream::take_data(evbuffer* out, size_t len) {
  evbuffer_remove_buffer(body_out_.get(), out, len);
  if (waiting_for_drain_ && buffered() <= kLowWatermark) {
    waiting_for_drain_ = false;
    return true;
  }
  return false;
}

void Http2Stream::resume_exchange() {
  if (exchange_) exchange_->on_downstream_drained();
}

bool Http2Stream::send_body(const char* data, size_t len) {
  if (state_ == State::Closed) return false;
  if (!has_body_ || len == 0) return true;
  submit_head();
  evbuffer_add(body_out_.get(), data, len);
  nghttp2_session_resume_data(session_.nghttp2(), id_);
  if (buffered() <= kHighWatermark) return true;
  session_.send_soon();
  if (state_ == State::Closed) return false;
  if (buffered() <= kHighWatermark) return true;
  waiting_for_drain_ = true;
  return false;
}

void Http2Stream::send_entry_body(const cache::EntryRef& entry, std::string_view body) {
  if (state_ == State::Closed || !has_body_ || body.empty()) return;
  submit_head();
  cache::EntryRef held = entry;
  const cache::CacheEntry* raw = held.release_to_raw();
  if (evbuffer_add_reference(body_out_.get(), body.data(), body.size(), &release_entry,
                             const_cast<cache::CacheEntry*>(raw)) != 0) {
    cache::EntryRef::from_raw(raw);
  }
  nghttp2_session_resume_data(session_.nghttp2(), id_);
}

void Http2Stream::flush() {
  if (state_ == State::Closed) return;
  submit_head();
  session_.send_soon();
}

bool Http2Stream::retract_answer() {
  if (!head_held_) return false;
  head_held_ = false;
  return true;
}

void Http2Stream::end_answer() {
  if (state_ == State::Answering) state_ = State::Answered;
  body_ended_ = true;
  submit_head();
  if (state_ != State::Closed && has_body_) nghttp2_session_resume_data(session_.nghttp2(), id_);
  if (exchange_) session_.worker().retire(std::move(exchange_));
  session_.send_soon();
}

void Http2Stream::abort_answer() {
  if (state_ == State::Closed) return;
  submit_head();
  // RFC 9113 §8.1: a response that cannot be completed ends with RST_STREAM, so the client
  // sees it cut short rather than complete.
  nghttp2_submit_rst_stream(session_.nghttp2(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
  state_ = State::Answered;
  abandon_exchange();  // it may still hold its upstream connection
  session_.send_soon();
}

}  // namespace etagd::proxy
