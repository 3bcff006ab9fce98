// What the HTTP/2 integration tests need: the real etagd binary on a free loopback port whose
// listener has `http2: on`, in front of a ScriptedOrigin, and the real HTTP/2 clients that
// talk to it: curl --http2-prior-knowledge, nghttp, h2load (Debian nghttp2-client) and
// h2_probe.py (python3-h2), the scripted client for malformed requests and floods.
//
//   ScriptedOrigin origin;
//   Http2Etagd etagd(origin, {.rules = {"{ match: { prefix: /api/ }, cache: store, ttl: 60s }"}});
//   CurlAnswer a = curl_h2(etagd.port(), "/api/items");   // a.protocol == "HTTP/2"
//
// When an Http2Etagd goes away it stops etagd with SIGTERM, expects a clean exit, and fails
// the test if etagd's log holds a sanitizer report.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/etagd_process.h"
#include "support/header_fields.h"
#include "support/scripted_origin.h"
#include "support/temp_dir.h"

namespace etagd::testing {

using namespace std::chrono_literals;

struct Http2Setup {
  std::string workers = "1";
  std::string timeouts{};  // keys inside `timeouts: { shutdown: 2s, <here> }`
  std::string limits{};    // keys inside `limits: { <here> }`
  std::string defaults{};  // keys inside `defaults: { <here> }`; empty: the built-in defaults
  std::vector<std::string> rules{};  // flow mappings, one per rule
  uint16_t admin_port = 0;           // non-zero: the admin listener there
  std::string extra{};               // more top-level YAML
};

class Http2Etagd {
 public:
  Http2Etagd(const ScriptedOrigin& origin, Http2Setup setup = {});
  ~Http2Etagd();
  Http2Etagd(const Http2Etagd&) = delete;
  Http2Etagd& operator=(const Http2Etagd&) = delete;

  uint16_t port() const { return port_; }
  std::string log() const { return process_->log(); }
  // The access log (text format), written to a file of the test's own.
  std::string access_log() const;
  EtagdProcess& process() { return *process_; }
  std::string url(std::string_view target) const;

 private:
  uint16_t port_;
  TempDir dir_;
  std::optional<EtagdProcess> process_;
};

// What curl printed for one answer: the status line's protocol ("HTTP/2"), status, fields
// (names as sent: lowercase in HTTP/2) and body.
struct CurlAnswer {
  std::string protocol;
  int status = 0;
  HeaderFields headers;
  std::string body;
  std::string output;  // everything curl printed, for failure messages
};

// `curl -sS -i --http2-prior-knowledge <args> http://127.0.0.1:<port><target>`.
CurlAnswer curl_h2(uint16_t port, std::string_view target, std::vector<std::string> args = {});
// The same with HTTP/1.1.
CurlAnswer curl_http1(uint16_t port, std::string_view target, std::vector<std::string> args = {});

// Runs a program (nghttp, h2load, python3) to completion and returns what it printed.
std::string run_client(std::vector<std::string> argv, std::chrono::milliseconds timeout = 20000ms);

// h2_probe.py <port> <scenario> <argument>: one fact per line ("stream 1 status 400",
// "stream 1 reset 1", "goaway 11", "closed").
std::string h2_probe(uint16_t port, std::string_view scenario, std::string_view argument = "");

// A JSON string literal of `s` (for h2_probe's request scenario).
std::string json_quote(std::string_view s);
// A request for h2_probe's request scenario: the fields (pseudo-header fields included, in
// the order given) and a body.
std::string probe_request(const std::vector<std::pair<std::string, std::string>>& fields,
                          std::string_view body = "");

}  // namespace etagd::testing
