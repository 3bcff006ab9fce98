// What every integration test of the proxy needs: the real etagd binary started on a free
// loopback port in front of a ScriptedOrigin, with a config built from a few readable knobs.
//
//   ScriptedOrigin origin;
//   ProxySettings s;
//   s.timeouts = "upstream_read: 300ms";
//   Proxy proxy(origin, s);
//   HttpResponse r = http_get(proxy.port(), "/slow");
//
// By default every response streams through (`defaults: { cache: bypass }`): these tests
// check the HTTP/1.1 proxy, not the cache. When a Proxy goes away it stops etagd
// with SIGTERM, expects a clean exit, and fails the test if etagd's log holds a sanitizer
// report, so every test doubles as an ASan/UBSan probe in a -DETAGD_SANITIZE=ON build.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/etagd_process.h"
#include "support/http_client.h"
#include "support/scripted_origin.h"

namespace etagd::testing {

using namespace std::chrono_literals;

struct ProxySettings {
  std::string workers = "1";
  // The upstream URL's scheme: "https" for an origin behind a TlsOrigin.
  std::string scheme = "http";
  // Keys inside `upstream: { url: ..., <here> }`, e.g. "max_idle: 1, host_header: upstream".
  std::string upstream;
  // Appended to the upstream URL, e.g. "/v2" for a base path.
  std::string base_path;
  // When not empty: `upstream: { servers: [<these>], ... }` instead of the url, each item as
  // written ("{ url: http://127.0.0.1:9001, weight: 2 }").
  std::vector<std::string> servers;
  // Keys inside `timeouts: { shutdown: ..., <here> }`.
  std::string timeouts;
  // The drain limit; short so a test whose origin hangs does not wait 10 s for etagd to stop.
  std::string shutdown = "2s";
  // Keys inside `limits: { <here> }`.
  std::string limits;
  // Keys inside `defaults: { <here> }`.
  std::string defaults = "cache: bypass";
  // Listen addresses; empty: "127.0.0.1:<port>" only. "$PORT" is replaced by the port.
  std::vector<std::string> listen;
  // More top-level YAML, one key per line.
  std::string extra;
  // Non-zero: the admin listener on 127.0.0.1:<admin_port> (the Proxy waits for it too);
  // zero: `admin: off`.
  uint16_t admin_port = 0;
};

// The YAML that ProxySettings describe, for an etagd on `port` in front of `upstream_port`.
std::string proxy_config(uint16_t port, uint16_t upstream_port, const ProxySettings& settings);

class Proxy {
 public:
  // Starts etagd in front of `origin` and waits until it listens (throws with etagd's log
  // if it does not). `host` is where the readiness probe connects ("::1" for IPv6 only).
  explicit Proxy(const ScriptedOrigin& origin, ProxySettings settings = {},
                 std::string host = "127.0.0.1");
  // Same, in front of an arbitrary upstream port (one nobody listens on, for instance).
  Proxy(uint16_t upstream_port, ProxySettings settings, std::string host = "127.0.0.1");
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  uint16_t port() const {
    return port_;
  }
  EtagdProcess& process() {
    return *etagd_;
  }
  pid_t pid() const {
    return etagd_->pid();
  }
  std::string log() const {
    return etagd_->log();
  }
  const std::string& config() const {
    return config_;
  }

  // A client connected to etagd.
  HttpClient client(std::chrono::milliseconds timeout = 5000ms) const;

 private:
  uint16_t port_;
  std::string config_;
  std::optional<EtagdProcess> etagd_;
};

// A connection to etagd that sends `bytes` as they are and reads until etagd closes the
// connection (bounded by `timeout`); returns everything etagd sent.
std::string raw_exchange(uint16_t port, std::string_view bytes,
                         std::chrono::milliseconds timeout = 5000ms);

// Listening TCP sockets bound to `port` (IPv4 and IPv6), from /proc/net/tcp{,6}.
size_t listening_sockets(uint16_t port);

// Resident set size of a process in KiB (VmRSS in /proc/<pid>/status); -1 if unreadable.
long resident_kib(pid_t pid);

// Milliseconds since `start`.
inline long elapsed_ms(std::chrono::steady_clock::time_point start) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count());
}

// Bytes 0..250 repeated to `size`: a body that holds CR, LF and NUL, and where a dropped,
// duplicated or reordered chunk shows (the prime period never lines up with buffer sizes).
std::string binary_body(size_t size);

}  // namespace etagd::testing
