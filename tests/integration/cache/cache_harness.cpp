#include "cache_harness.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <thread>

#include "support/free_port.h"
#include "support/sanitizer_report.h"

namespace etagd::testing {
namespace {

std::optional<time_t> parse_imf_fixdate(const std::string& value) {
  std::tm tm{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return timegm(&tm);
}

}  // namespace

std::string cache_config(uint16_t port, uint16_t upstream_port, const CacheSetup& s) {
  std::string yaml = "listen: [\"127.0.0.1:" + std::to_string(port) + "\"]\n";
  yaml += "upstream: { url: \"http://127.0.0.1:" + std::to_string(upstream_port) + "\" }\n";
  yaml += "workers: " + s.workers + "\n";
  yaml += s.admin_port == 0 ? std::string("admin: off\n")
                            : "admin: { listen: \"127.0.0.1:" + std::to_string(s.admin_port) + "\" }\n";
  // Short drain: a test whose origin hangs must not wait 10 s for etagd to stop.
  yaml += "timeouts: { shutdown: 2s" + (s.timeouts.empty() ? "" : ", " + s.timeouts) + " }\n";
  if (!s.cache.empty()) yaml += "cache: { " + s.cache + " }\n";
  if (!s.defaults.empty()) yaml += "defaults: { " + s.defaults + " }\n";
  if (!s.rules.empty()) {
    yaml += "rules:\n";
    for (const std::string& rule : s.rules) yaml += "  - " + rule + "\n";
  }
  yaml += s.extra;
  if (!s.extra.empty() && s.extra.back() != '\n') yaml += '\n';
  return yaml;
}

CachingEtagd::CachingEtagd(const ScriptedOrigin& origin, CacheSetup setup)
    : port_(free_port()), config_(cache_config(port_, origin.port(), setup)) {
  process_.emplace(config_, port_);
  process_->wait_ready();
}

CachingEtagd::~CachingEtagd() {
  if (process_->running()) {
    ProcessExit exit = process_->stop(10000ms);
    CHECK_MESSAGE(exit.success(), "etagd did not exit cleanly on SIGTERM: ", exit.describe(),
                  "\nlog:\n", process_->log());
  }
  std::string report = sanitizer_report(process_->log());
  CHECK_MESSAGE(report.empty(), "sanitizer report in etagd's log:\n", report);
}

HttpResponse CachingEtagd::get(std::string_view target, const HeaderFields& headers) const {
  return http_get(port_, target, headers);
}

HttpResponse CachingEtagd::head(std::string_view target, const HeaderFields& headers) const {
  return http_request(port_, "HEAD", target, headers);
}

HttpResponse CachingEtagd::request(std::string_view method, std::string_view target,
                                   const HeaderFields& headers, std::string_view body) const {
  return http_request(port_, method, target, headers, body);
}

HttpClient CachingEtagd::client(std::chrono::milliseconds timeout) const {
  return HttpClient(port_, timeout);
}

std::string cache_status(const HttpResponse& response) { return response.headers.get("X-Cache"); }

long age_of(const HttpResponse& response) {
  const std::string* value = response.headers.find("Age");
  if (value == nullptr || value->empty()) return -1;
  char* end = nullptr;
  long age = std::strtol(value->c_str(), &end, 10);
  return *end == '\0' ? age : -1;
}

bool is_strong_etag(std::string_view tag) {
  return tag.size() >= 2 && tag.front() == '"' && tag.back() == '"' &&
         tag.find('"', 1) == tag.size() - 1;
}

std::string weak_form(std::string_view strong_tag) { return "W/" + std::string(strong_tag); }

std::string patterned_body(size_t size, unsigned seed) {
  std::string body(size, '\0');
  for (size_t i = 0; i < size; ++i) body[i] = static_cast<char>((i * 7 + seed * 31) % 251);
  return body;
}

void align_to_second_start() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto into_second = now - std::chrono::duration_cast<std::chrono::seconds>(now);
  // 20 ms into the next second leaves room for clock reads that disagree by a few ms.
  std::this_thread::sleep_for(1s - into_second + 20ms);
}

std::string http_date_from_now(long offset_seconds) {
  time_t t = std::time(nullptr) + offset_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

OriginResource::OriginResource(int status, HeaderFields fields, std::string body)
    : state_(std::make_shared<State>()) {
  set(status, std::move(fields), std::move(body));
}

void OriginResource::set(int status, HeaderFields fields, std::string body) {
  std::lock_guard lock(state_->mu);
  state_->status = status;
  state_->fields = std::move(fields);
  state_->body = std::move(body);
}

void OriginResource::set_body(std::string body) {
  std::lock_guard lock(state_->mu);
  state_->body = std::move(body);
}

void OriginResource::set_not_modified_fields(HeaderFields fields) {
  std::lock_guard lock(state_->mu);
  state_->not_modified_fields = std::move(fields);
}

void OriginResource::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(state_->mu);
  state_->delay = delay;
}

size_t OriginResource::not_modified_count() const {
  std::lock_guard lock(state_->mu);
  return state_->not_modified;
}

OriginHandler OriginResource::handler() const {
  std::shared_ptr<State> state = state_;
  return [state](const OriginRequest& request, OriginReply& reply) {
    int status;
    HeaderFields fields;
    HeaderFields not_modified_fields;
    std::string body;
    std::chrono::milliseconds delay;
    bool not_modified = false;
    {
      std::lock_guard lock(state->mu);
      status = state->status;
      fields = state->fields;
      not_modified_fields = state->not_modified_fields.value_or(state->fields);
      body = state->body;
      delay = state->delay;
      // RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only without it. The
      // origin's comparison is deliberately simple: etagd sends back what it was given.
      if (status == 200) {
        if (const std::string* inm = request.headers.find("If-None-Match")) {
          const std::string* etag = fields.find("ETag");
          not_modified = etag != nullptr && inm->find(*etag) != std::string::npos;
        } else if (const std::string* ims = request.headers.find("If-Modified-Since")) {
          const std::string* lm = fields.find("Last-Modified");
          auto since = parse_imf_fixdate(*ims);
          auto modified = lm ? parse_imf_fixdate(*lm) : std::nullopt;
          not_modified = since && modified && *modified <= *since;
        }
      }
      if (not_modified) ++state->not_modified;
    }
    if (delay.count() > 0 && !reply.sleep(delay)) return;
    if (not_modified) {
      reply.reply(304, not_modified_fields);
    } else {
      reply.reply(status, fields, body);
    }
  };
}

}  // namespace etagd::testing
