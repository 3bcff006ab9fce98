#include "http2_harness.h"

#include <fstream>
#include <sstream>

#include "support/child_process.h"
#include "support/free_port.h"
#include "support/sanitizer_report.h"

namespace etagd::testing {

namespace {

std::string config_for(uint16_t port, uint16_t upstream, const Http2Setup& s,
                       const std::string& access_log) {
  std::string y = "listen: [{ address: \"127.0.0.1:" + std::to_string(port) + "\", http2: on }]\n";
  y += "upstream: { url: \"http://127.0.0.1:" + std::to_string(upstream) + "\" }\n";
  y += "workers: " + s.workers + "\n";
  y += s.admin_port == 0 ? std::string("admin: off\n")
                         : "admin: { listen: \"127.0.0.1:" + std::to_string(s.admin_port) + "\" }\n";
  y += "timeouts: { shutdown: 2s" + (s.timeouts.empty() ? "" : ", " + s.timeouts) + " }\n";
  if (!s.limits.empty()) y += "limits: { " + s.limits + " }\n";
  if (!s.defaults.empty()) y += "defaults: { " + s.defaults + " }\n";
  y += "log: { access_log: \"" + access_log + "\" }\n";
  if (!s.rules.empty()) {
    y += "rules:\n";
    for (const std::string& r : s.rules) y += "  - " + r + "\n";
  }
  y += s.extra;
  if (!s.extra.empty() && s.extra.back() != '\n') y += '\n';
  return y;
}

CurlAnswer parse_curl(const ProcessResult& r) {
  CurlAnswer a;
  a.output = r.output;
  std::string_view out = r.output;
  // With -i, curl prints each head it received (interim ones too) and then the body.
  size_t pos = 0;
  while (true) {
    size_t end = out.find("\r\n\r\n", pos);
    if (end == std::string_view::npos) return a;
    std::string_view head = out.substr(pos, end - pos);
    pos = end + 4;
    size_t eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    size_t sp = status_line.find(' ');
    a.protocol = std::string(status_line.substr(0, sp));
    a.status = std::atoi(std::string(status_line.substr(sp + 1, 3)).c_str());
    a.headers = HeaderFields();
    std::string_view rest = eol == std::string_view::npos ? "" : head.substr(eol + 2);
    while (!rest.empty()) {
      size_t e = rest.find("\r\n");
      std::string_view line = rest.substr(0, e);
      rest = e == std::string_view::npos ? "" : rest.substr(e + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      a.headers.add(std::string(line.substr(0, colon)), std::string(value));
    }
    if (a.status >= 200 || a.status == 0) break;
  }
  a.body = std::string(out.substr(pos));
  return a;
}

CurlAnswer run_curl(uint16_t port, std::string_view target, std::vector<std::string> args,
                    bool http2) {
  std::vector<std::string> argv = {"curl", "-sS", "-i", "--max-time", "10"};
  if (http2) argv.push_back("--http2-prior-knowledge");
  for (std::string& a : args) argv.push_back(std::move(a));
  argv.push_back("http://127.0.0.1:" + std::to_string(port) + std::string(target));
  return parse_curl(run_process(argv, 15000ms));
}

}  // namespace

Http2Etagd::Http2Etagd(const ScriptedOrigin& origin, Http2Setup setup) : port_(free_port()) {
  process_.emplace(config_for(port_, origin.port(), setup, dir_.file("access.log").string()),
                   port_);
  process_->wait_ready();
  if (setup.admin_port != 0) process_->wait_listening(setup.admin_port);
}

Http2Etagd::~Http2Etagd() {
  if (process_->running()) {
    ProcessExit exit = process_->stop(10000ms);
    if (!exit.success()) {
      FAIL_CHECK("etagd did not exit cleanly on SIGTERM: " << exit.describe() << "\nlog:\n"
                                                           << process_->log());
    }
  }
  std::string report = sanitizer_report(process_->log());
  if (!report.empty()) FAIL_CHECK("sanitizer report in etagd's log:\n" << report);
}

std::string Http2Etagd::access_log() const {
  std::ifstream in(dir_.file("access.log"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Http2Etagd::url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
}

CurlAnswer curl_h2(uint16_t port, std::string_view target, std::vector<std::string> args) {
  return run_curl(port, target, std::move(args), true);
}

CurlAnswer curl_http1(uint16_t port, std::string_view target, std::vector<std::string> args) {
  return run_curl(port, target, std::move(args), false);
}

std::string run_client(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  ProcessResult r = run_process(std::move(argv), timeout);
  return r.output;
}

std::string h2_probe(uint16_t port, std::string_view scenario, std::string_view argument) {
  // Debian's python3 (python3-h2 is a Debian package), whatever else is first on PATH.
  return run_client({"/usr/bin/python3", ETAGD_H2_PROBE, std::to_string(port),
                     std::string(scenario), std::string(argument)});
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string probe_request(const std::vector<std::pair<std::string, std::string>>& fields,
                          std::string_view body) {
  std::string j = "{\"headers\": [";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) j += ", ";
    j += "[" + json_quote(fields[i].first) + ", " + json_quote(fields[i].second) + "]";
  }
  j += "], \"body\": " + json_quote(body) + "}";
  return j;
}

}  // namespace etagd::testing
