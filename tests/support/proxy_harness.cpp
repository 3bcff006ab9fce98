#include "support/proxy_harness.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "support/free_port.h"
#include "support/sanitizer_report.h"
#include "support/socket_stream.h"


namespace etagd::testing {
namespace {

std::string replace_port(std::string text, uint16_t port) {
  const std::string token = "$PORT";
  for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
    text.replace(at, token.size(), std::to_string(port));
  }
  return text;
}

}  // namespace

std::string proxy_config(uint16_t port, uint16_t upstream_port, const ProxySettings& s) {
  std::string yaml = "listen: [";
  if (s.listen.empty()) {
    yaml += "\"127.0.0.1:" + std::to_string(port) + "\"";
  } else {
    for (size_t i = 0; i < s.listen.size(); ++i) {
      if (i > 0) yaml += ", ";
      yaml += "\"" + replace_port(s.listen[i], port) + "\"";
    }
  }
  yaml += "]\n";
  if (s.servers.empty()) {
    yaml += "upstream: { url: \"" + s.scheme + "://127.0.0.1:" + std::to_string(upstream_port) + s.base_path +
            "\"";
  } else {
    yaml += "upstream: { servers: [";
    for (size_t i = 0; i < s.servers.size(); ++i) yaml += (i > 0 ? ", " : "") + s.servers[i];
    yaml += "]";
  }
  yaml += (s.upstream.empty() ? "" : ", " + s.upstream) + " }\n";
  yaml += "workers: " + s.workers + "\n";
  if (s.admin_port == 0) {
    yaml += "admin: off\n";
  } else {
    yaml += "admin: { listen: \"127.0.0.1:" + std::to_string(s.admin_port) + "\" }\n";
  }
  yaml += "timeouts: { shutdown: " + s.shutdown + (s.timeouts.empty() ? "" : ", " + s.timeouts) +
          " }\n";
  if (!s.limits.empty()) yaml += "limits: { " + s.limits + " }\n";
  if (!s.defaults.empty()) yaml += "defaults: { " + s.defaults + " }\n";
  yaml += s.extra;
  if (!s.extra.empty() && s.extra.back() != '\n') yaml += '\n';
  return yaml;
}

Proxy::Proxy(const ScriptedOrigin& origin, ProxySettings settings, std::string host)
    : Proxy(origin.port(), std::move(settings), std::move(host)) {}

Proxy::Proxy(uint16_t upstream_port, ProxySettings settings, std::string host)
    : port_(host == "::1" || !settings.listen.empty() ? free_port_dual_stack() : free_port()),
      config_(proxy_config(port_, upstream_port, settings)) {
  EtagdProcess::Options options;
  options.host = host;
  etagd_.emplace(config_, port_, options);
  etagd_->wait_ready();
  if (settings.admin_port != 0) etagd_->wait_listening(settings.admin_port);
}

Proxy::~Proxy() {
  // FAIL_CHECK rather than CHECK_MESSAGE: this also runs while a test's exception unwinds,
  // and doctest would then print every message in scope as context, failing or not.
  if (etagd_->running()) {
    ProcessExit exit = etagd_->stop(10000ms);
    if (!exit.success()) {
      FAIL_CHECK("etagd did not exit cleanly on SIGTERM: " << exit.describe() << "\nlog:\n"
                                                           << etagd_->log());
    }
  }
  std::string report = sanitizer_report(etagd_->log());
  if (!report.empty()) FAIL_CHECK("sanitizer report in etagd's log:\n" << report);
}

HttpClient Proxy::client(std::chrono::milliseconds timeout) const {
  return HttpClient(port_, timeout);
}

std::string raw_exchange(uint16_t port, std::string_view bytes, std::chrono::milliseconds timeout) {
  HttpClient client(port, timeout);
  client.send_raw(bytes);
  return client.read_until_closed();
}

size_t listening_sockets(uint16_t port) {
  // Lines look like "  0: 0100007F:1F90 00000000:0000 0A ...": local address:port in hex,
  // remote, then the state; 0A is TCP_LISTEN.
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, "%04X", port);
  size_t count = 0;
  for (const char* path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      size_t colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      if (local.substr(colon + 1) == wanted && state == "0A") ++count;
    }
  }
  return count;
}

long resident_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string binary_body(size_t size) {
  std::string body(size, '\0');
  for (size_t i = 0; i < size; ++i) body[i] = static_cast<char>(i % 251);
  return body;
}

}  // namespace etagd::testing
