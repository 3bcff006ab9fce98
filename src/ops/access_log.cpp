#include "ops/access_log.h"

#include <fmt/format.h>
#include <spdlog/async_logger.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "ops/json_writer.h"
#include "ops/log_output.h"

namespace etagd::ops {
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

// Text-format escaping, as nginx does for its access log: everything outside printable
// ASCII, and the quote and backslash, becomes \xHH / \" / \\ .
void append_text_escaped(Buffer& out, std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c >= 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\x{:02X}", c);
    } else {
      out.push_back(ch);
    }
  }
}

std::string_view method_of(const ExchangeRecord& r) {
  return r.method_token.empty() ? http::method_name(r.method) : r.method_token;
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
  append_text_escaped(out, method_of(r));
  out.push_back(' ');
  append_text_escaped(out, r.target);
  fmt::format_to(std::back_inserter(out), "\" {} {} {} ", r.status, r.body_bytes,
                 cache_status_name(r.cache_status));
  if (r.upstream_us < 0) {
    out.push_back('-');
  } else {
    append_ms(out, r.upstream_us);
  }
  out.push_back(' ');
  append_ms(out, r.total_us);
}

void format_json_into(Buffer& out, const ExchangeRecord& r) {
  append(out, "{\"time\":\"");
  append_time(out, r.start_unix_ms);
  append(out, "\",\"client\":");
  append_json_string(out, r.client);
  append(out, ",\"method\":");
  append_json_string(out, method_of(r));
  append(out, ",\"target\":");
  append_json_string(out, r.target);
  fmt::format_to(std::back_inserter(out), ",\"status\":{},\"bytes\":{},\"cache\":\"{}\"", r.status,
                 r.body_bytes, cache_status_name(r.cache_status));
  append(out, ",\"upstream_ms\":");
  if (r.upstream_us < 0) {
    append(out, "null");
  } else {
    append_ms(out, r.upstream_us);
  }
  append(out, ",\"total_ms\":");
  append_ms(out, r.total_us);
  out.push_back('}');
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

std::unique_ptr<AccessLog> AccessLog::open(const std::string& destination, config::LogFormat format,
                                           std::string& error) {
  if (destination == "off") return nullptr;
  std::shared_ptr<LogOutputSink> sink = LogOutputSink::open(destination, error);
  if (!sink) return nullptr;
  auto impl = std::make_unique<Impl>();
  impl->format = format;
  impl->sink = sink;
  impl->logger = make_async_logger("access", std::move(sink));
  impl->logger->set_pattern("%v");
  impl->logger->set_level(spdlog::level::info);
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(impl)));
}

void AccessLog::write(const ExchangeRecord& r) {
  Buffer line;  // inline storage fits a typical line: no allocation to format it
  if (impl_->format == config::LogFormat::Json) {
    format_json_into(line, r);
  } else {
    format_text_into(line, r);
  }
  impl_->logger->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

void AccessLog::reopen() {
  std::string error;
  if (!impl_->sink->reopen(error)) spdlog::error("access log: {}", error);
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

}  // namespace etagd::ops
