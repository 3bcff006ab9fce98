#include "ops/access_log.h"

#include <fmt/format.h>
#include <spdlog/async_logger.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "base/json_writer.h"
#include "ops/log_escape.h"
#include "ops/log_output.h"

namespace etagd::ops {

using base::append_json_string;

namespace {

using Buffer = fmt::memory_buffer;

void append(Buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }

// "2026-11-25T09:41:07.123Z" (RFC 3339, UTC).
void append_time(Buffer& out, int64_t unix_ms) {
  if (unix_ms < 0) unix_ms = 0;
  auto seconds = static_cast<time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 unix_ms % 1000);
}

// Microseconds as milliseconds with three decimals, exactly ("0.041").
void append_ms(Buffer& out, int64_t us) {
  if (us < 0) us = 0;
  fmt::format_to(std::back_inserter(out), "{}.{:03}", us / 1000, us % 1000);
}

std::string_view method_of(const ExchangeRecord& r) {
  return r.method_token.empty() ? http::method_name(r.method) : r.method_token;
}

bool has_request_line(const ExchangeRecord& r) { return !r.target.empty(); }

// The two escapings (log_escape.h), as arguments for the helpers below.
constexpr auto kTextEscape = [](Buffer& out, std::string_view v) { append_text_escaped(out, v); };
constexpr auto kNginxEscape = [](Buffer& out, std::string_view v) { append_nginx_escaped(out, v); };

// "GET /x HTTP/1.1", escaped with `escape`; "-" when no request line was read.
template <typename Escape>
void append_request_line(Buffer& out, const ExchangeRecord& r, Escape escape) {
  if (!has_request_line(r)) {
    out.push_back('-');
    return;
  }
  escape(out, method_of(r));
  out.push_back(' ');
  escape(out, r.target);
  out.push_back(' ');
  escape(out, r.protocol);
}

// A quoted field value, `"-"` when absent (nginx's convention).
template <typename Escape>
void append_quoted_or_dash(Buffer& out, std::string_view v, Escape escape) {
  out.push_back('"');
  if (v.empty()) {
    out.push_back('-');
  } else {
    escape(out, v);
  }
  out.push_back('"');
}

void append_json_or_null(Buffer& out, std::string_view v) {
  if (v.empty()) {
    append(out, "null");
  } else {
    append_json_string(out, v);
  }
}

// nginx's $time_local: "25/Nov/2026:09:41:07 +0000", local time and its UTC offset.
// localtime_r takes glibc's timezone lock, so each thread converts once per second and
// reuses the text for every line of that second.
void append_time_local(Buffer& out, int64_t unix_ms) {
  struct Cached {
    int64_t second = -1;
    char text[32] = {};
    size_t length = 0;
  };
  thread_local Cached cached;
  int64_t second = unix_ms < 0 ? 0 : unix_ms / 1000;
  if (second != cached.second) {
    static constexpr std::array<const char*, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    auto t = static_cast<time_t>(second);
    std::tm tm{};
    localtime_r(&t, &tm);
    long offset_min = tm.tm_gmtoff / 60;
    char sign = offset_min < 0 ? '-' : '+';
    if (offset_min < 0) offset_min = -offset_min;
    auto end = fmt::format_to_n(cached.text, sizeof cached.text,
                                "{:02}/{}/{:04}:{:02}:{:02}:{:02} {}{:02}{:02}", tm.tm_mday,
                                kMonths[static_cast<size_t>(tm.tm_mon) % 12], tm.tm_year + 1900,
                                tm.tm_hour, tm.tm_min, tm.tm_sec, sign, offset_min / 60,
                                offset_min % 60);
    cached.length = std::min(end.size, sizeof cached.text);
    cached.second = second;
  }
  out.append(cached.text, cached.text + cached.length);
}

void format_text_into(Buffer& out, const ExchangeRecord& r) {
  append_time(out, r.start_unix_ms);
  out.push_back(' ');
  if (r.client.empty()) {
    out.push_back('-');
  } else {
    append_text_escaped(out, r.client);
  }
  append(out, " \"");
  append_request_line(out, r, kTextEscape);
  fmt::format_to(std::back_inserter(out), "\" {} {} {} ", r.status, r.body_bytes,
                 cache_status_text(r.cache_status, r.heuristic_freshness));
  if (r.upstream_us < 0) {
    out.push_back('-');
  } else {
    append_ms(out, r.upstream_us);
  }
  out.push_back(' ');
  if (r.total_us < 0) {
    out.push_back('-');
  } else {
    append_ms(out, r.total_us);
  }
  out.push_back(' ');
  append_quoted_or_dash(out, r.host, kTextEscape);
  out.push_back(' ');
  append_quoted_or_dash(out, r.referer, kTextEscape);
  out.push_back(' ');
  append_quoted_or_dash(out, r.user_agent, kTextEscape);
}

void format_json_into(Buffer& out, const ExchangeRecord& r) {
  append(out, "{\"time\":\"");
  append_time(out, r.start_unix_ms);
  append(out, "\",\"client\":");
  append_json_string(out, r.client);
  if (has_request_line(r)) {
    append(out, ",\"method\":");
    append_json_string(out, method_of(r));
    append(out, ",\"target\":");
    append_json_string(out, r.target);
    append(out, ",\"protocol\":");
    append_json_string(out, r.protocol);
  } else {
    append(out, ",\"method\":null,\"target\":null,\"protocol\":null");
  }
  fmt::format_to(std::back_inserter(out), ",\"status\":{},\"bytes\":{},\"cache\":\"{}\"", r.status,
                 r.body_bytes, cache_status_text(r.cache_status, r.heuristic_freshness));
  append(out, ",\"upstream_ms\":");
  if (r.upstream_us < 0) {
    append(out, "null");
  } else {
    append_ms(out, r.upstream_us);
  }
  append(out, ",\"total_ms\":");
  if (r.total_us < 0) {
    append(out, "null");
  } else {
    append_ms(out, r.total_us);
  }
  append(out, ",\"host\":");
  append_json_or_null(out, r.host);
  append(out, ",\"referer\":");
  append_json_or_null(out, r.referer);
  append(out, ",\"user_agent\":");
  append_json_or_null(out, r.user_agent);
  out.push_back('}');
}

void format_combined_into(Buffer& out, const ExchangeRecord& r) {
  if (r.client.empty()) {
    out.push_back('-');
  } else {
    append_nginx_escaped(out, r.client);
  }
  append(out, " - - [");
  append_time_local(out, r.start_unix_ms);
  append(out, "] \"");
  append_request_line(out, r, kNginxEscape);
  fmt::format_to(std::back_inserter(out), "\" {} {} ", r.status, r.body_bytes);
  append_quoted_or_dash(out, r.referer, kNginxEscape);
  out.push_back(' ');
  append_quoted_or_dash(out, r.user_agent, kNginxEscape);
  out.push_back(' ');
  append(out, cache_status_text(r.cache_status, r.heuristic_freshness));
}

void format_into(Buffer& out, config::LogFormat format, const ExchangeRecord& r) {
  switch (format) {
    case config::LogFormat::Json: format_json_into(out, r); return;
    case config::LogFormat::Combined: format_combined_into(out, r); return;
    case config::LogFormat::Text: format_text_into(out, r); return;
  }
  format_text_into(out, r);
}

}  // namespace

struct AccessLog::Impl {
  config::LogFormat format;
  std::shared_ptr<LogOutputSink> sink;
  std::shared_ptr<spdlog::async_logger> logger;
};

AccessLog::AccessLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AccessLog::~AccessLog() {
  // Queued lines keep the logger (and its sink) alive until written; nothing is lost here.
}

base::Status AccessLog::open(const std::string& destination, config::LogFormat format,
                             std::unique_ptr<AccessLog>& out) {
  out.reset();
  if (destination == "off") return base::Status::ok();
  std::shared_ptr<LogOutputSink> sink;
  if (base::Status s = LogOutputSink::open(destination, sink); !s) return s;
  auto impl = std::make_unique<Impl>();
  impl->format = format;
  impl->sink = sink;
  impl->logger = make_async_logger("access", std::move(sink));
  impl->logger->set_pattern("%v");
  impl->logger->set_level(spdlog::level::info);
  out.reset(new AccessLog(std::move(impl)));
  return base::Status::ok();
}

void AccessLog::write(const ExchangeRecord& r) {
  Buffer line;  // inline storage fits a typical line: no allocation to format it
  format_into(line, impl_->format, r);
  impl_->logger->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

void AccessLog::reopen() {
  if (base::Status s = impl_->sink->reopen(); !s) spdlog::error("access log: {}", s.message());
}

bool AccessLog::flush() { return flush_and_wait(*impl_->logger, *impl_->sink); }

config::LogFormat AccessLog::format() const { return impl_->format; }

const std::string& AccessLog::destination() const { return impl_->sink->destination(); }

std::string AccessLog::format_text(const ExchangeRecord& r) {
  Buffer line;
  format_text_into(line, r);
  return fmt::to_string(line);
}

std::string AccessLog::format_json(const ExchangeRecord& r) {
  Buffer line;
  format_json_into(line, r);
  return fmt::to_string(line);
}

std::string AccessLog::format_combined(const ExchangeRecord& r) {
  Buffer line;
  format_combined_into(line, r);
  return fmt::to_string(line);
}

}  // namespace etagd::ops
