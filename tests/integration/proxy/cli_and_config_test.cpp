// The command line and the YAML settings taking effect in the running
// daemon: listen addresses, durations and sizes, refusal of unknown keys.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "support/proxy_harness.h"
#include "support/child_process.h"
#include "support/free_port.h"
#include "support/temp_dir.h"

namespace etagd::testing {
namespace {

ProcessResult run_etagd(std::vector<std::string> args) {
  std::string binary = etagd_binary_path();
  REQUIRE_MESSAGE(!binary.empty(), "no etagd binary to test");
  args.insert(args.begin(), binary);
  return run_process(std::move(args), 10000ms);
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// What etagd writes to stdout alone (stderr discarded by the shell).
std::string stdout_of(std::vector<std::string> args) {
  std::string command = "\"$0\"";
  for (size_t i = 0; i < args.size(); ++i) command += " \"$" + std::to_string(i + 1) + "\"";
  std::vector<std::string> argv = {"/bin/sh", "-c", command + " 2>/dev/null", etagd_binary_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(std::move(argv), 10000ms).output;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

}  // namespace

TEST_CASE("--version prints version, commit, build type and library versions to stdout, exit 0") {
  ProcessResult r = run_etagd({"--version"});
  CHECK(r.exit.success());
  CHECK(stdout_of({"--version"}) == r.output);
  std::vector<std::string> lines = lines_of(r.output);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].rfind("etagd ", 0) == 0);
  CHECK(lines[0].find_first_of("0123456789") != std::string::npos);
  CHECK(lines[1].rfind("commit ", 0) == 0);
  CHECK(contains(lines[1], " build"));
  for (const char* library : {"libevent ", "llhttp ", "yaml-cpp ", "spdlog ", "xxhash "}) {
    CHECK_MESSAGE(contains(lines[2], library), lines[2]);
  }
  CHECK(run_etagd({"-V"}).output == r.output);
  CHECK(run_etagd({"-v"}).output == r.output);
}

TEST_CASE("--help prints usage, the options, the default config and exit statuses to stdout, exit 0") {
  ProcessResult r = run_etagd({"--help"});
  CHECK(r.exit.success());
  CHECK(stdout_of({"--help"}) == r.output);
  CHECK(r.output.rfind("Usage: etagd ", 0) == 0);
  for (const char* part : {"--config", "--check-config", "-V, --version", "-h, --help",
                           "/etc/etagd/etagd.yaml", "Exit status", "etagd(8)"}) {
    CHECK_MESSAGE(contains(r.output, part), part);
  }
  CHECK(run_etagd({"-h"}).output == r.output);
}

TEST_CASE("an unknown option exits 2 with one line on stderr naming it, and a pointer to --help") {
  ProcessResult r = run_etagd({"--frobnicate"});
  CHECK(r.exit.exited);
  CHECK(r.exit.code == 2);
  CHECK(stdout_of({"--frobnicate"}).empty());
  CHECK(r.output == "etagd: unrecognized option '--frobnicate'\n"
                    "Try 'etagd --help' for more information.\n");
}

TEST_CASE("an argument that is not an option exits 2 and names it") {
  ProcessResult r = run_etagd({"etagd.yaml"});
  CHECK(r.exit.code == 2);
  CHECK(contains(r.output, "unexpected argument 'etagd.yaml'"));
  CHECK(contains(r.output, "--help"));
}

TEST_CASE("--config without a file name exits 2") {
  ProcessResult r = run_etagd({"--config"});
  CHECK(r.exit.code == 2);
  CHECK(contains(r.output, "--help"));
}

TEST_CASE("--check-config accepts a valid file with exit 0 and starts nothing") {
  TempDir dir;
  uint16_t port = free_port();
  auto path = dir.write("etagd.yaml", proxy_config(port, free_port(), {}));
  ProcessResult r = run_etagd({"--check-config", "--config", path.string()});
  CHECK_MESSAGE(r.exit.success(), r.output);
  CHECK(contains(r.output, "successful"));
  CHECK_FALSE(r.timed_out);
  CHECK_FALSE(accepts_connections("127.0.0.1", port));
}

TEST_CASE("--check-config rejects a broken file with exit 1 and names file, line and key") {
  TempDir dir;
  auto path = dir.write("broken.yaml",
                        "listen: [\"127.0.0.1:8080\"]\n"
                        "upstream: { url: \"http://127.0.0.1:9000\" }\n"
                        "timeouts:\n"
                        "  client_header: soon\n");
  ProcessResult r = run_etagd({"-t", "-c", path.string()});
  CHECK(r.exit.exited);
  CHECK(r.exit.code == 1);
  CHECK_MESSAGE(contains(r.output, path.string() + ":4:"), r.output);
  CHECK(contains(r.output, "client_header"));
}

TEST_CASE("--check-config accepts timeouts.client_ping: off and names file and line of one that is no duration") {
  TempDir dir;
  auto off = dir.write("off.yaml",
                       "listen: 127.0.0.1:8080\n"
                       "upstream: http://127.0.0.1:9000\n"
                       "timeouts: { client_ping: off }\n");
  ProcessResult ok = run_etagd({"--check-config", "--config", off.string()});
  CHECK_MESSAGE(ok.exit.success(), ok.output);
  auto bad = dir.write("bad.yaml",
                       "listen: 127.0.0.1:8080\n"
                       "upstream: http://127.0.0.1:9000\n"
                       "timeouts:\n"
                       "  client_ping: often\n");
  ProcessResult r = run_etagd({"--check-config", "--config", bad.string()});
  CHECK(r.exit.code == 1);
  CHECK_MESSAGE(contains(r.output, bad.string() + ":4:"), r.output);
  CHECK(contains(r.output, "client_ping"));
}

TEST_CASE("--check-config warns, with exit 0, when the upstream host does not resolve") {
  TempDir dir;
  // RFC 6761 §6.4: a name under .invalid never resolves.
  auto path = dir.write("etagd.yaml",
                        "listen: 127.0.0.1:8080\n"
                        "upstream:\n"
                        "  url: http://no-such-origin.invalid:9000\n");
  ProcessResult r = run_etagd({"--check-config", "--config", path.string()});
  CHECK_MESSAGE(r.exit.success(), r.output);
  CHECK_MESSAGE(contains(r.output, path.string() + ":3:8: warning: upstream.url: the host "
                                   "'no-such-origin.invalid' does not resolve here"),
                r.output);
  CHECK(contains(r.output, "etagd would not start with this file (`cannot resolve`)"));
  CHECK(contains(r.output, "successful"));
}

TEST_CASE("--check-config points nginx's names at etagd's keys, with file and line") {
  TempDir dir;
  auto path = dir.write("etagd.yaml",
                        "listen: 127.0.0.1:8080\n"
                        "proxy_pass: http://127.0.0.1:9000\n"
                        "proxy_read_timeout: 60s\n");
  ProcessResult r = run_etagd({"--check-config", "--config", path.string()});
  CHECK(r.exit.code == 1);
  CHECK_MESSAGE(contains(r.output, path.string() + ":2:1: error: proxy_pass: unknown key "
                                   "'proxy_pass'; did you mean 'upstream.url'? (nginx's "
                                   "proxy_pass;"),
                r.output);
  CHECK(contains(r.output, path.string() + ":3:1: error: proxy_read_timeout: unknown key "
                                           "'proxy_read_timeout'; did you mean "
                                           "'timeouts.upstream_read'? (nginx's "
                                           "proxy_read_timeout)"));
}

TEST_CASE("--check-config reports a file that does not exist with exit 1") {
  TempDir dir;
  std::string missing = dir.file("nope.yaml").string();
  ProcessResult r = run_etagd({"--check-config", "--config", missing});
  CHECK(r.exit.code == 1);
  CHECK(contains(r.output, missing));
}

TEST_CASE("a config with an unknown key refuses to start: exit 1 with file:line and the key") {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  std::string yaml = proxy_config(port, origin.port(), {}) + "limits: { max_header_bytez: 4KiB }\n";
  // The typo is on the last line.
  auto line = std::count(yaml.begin(), yaml.end(), '\n');
  EtagdProcess etagd(yaml, port);
  auto exit = etagd.wait_exit(5000ms);
  REQUIRE_MESSAGE(exit.has_value(), "etagd started with an unknown key:\n", yaml);
  CHECK(exit->exited);
  CHECK(exit->code == 1);
  CHECK_MESSAGE(contains(etagd.log(), etagd.config_path() + ":" + std::to_string(line) + ":"),
                etagd.log());
  CHECK(contains(etagd.log(), "max_header_bytez"));
  CHECK_FALSE(accepts_connections("127.0.0.1", port));
}

TEST_CASE("a listen address already in use stops etagd with exit 1 and the address") {
  ScriptedOrigin origin;
  ScriptedOrigin squatter;  // holds a port on 127.0.0.1
  ProxySettings s;
  s.listen = {"127.0.0.1:" + std::to_string(squatter.port())};
  EtagdProcess etagd(proxy_config(squatter.port(), origin.port(), s), squatter.port());
  auto exit = etagd.wait_exit(5000ms);
  REQUIRE(exit.has_value());
  CHECK(exit->code == 1);
  CHECK(contains(etagd.log(), std::to_string(squatter.port())));
}

TEST_CASE("etagd listens on every configured address, IPv4 and IPv6") {
  if (!ipv6_loopback_available()) {
    MESSAGE("skipped: this machine cannot bind [::1]");
    return;
  }
  ScriptedOrigin origin;
  uint16_t second = free_port();
  ProxySettings s;
  s.listen = {"127.0.0.1:$PORT", "[::1]:$PORT", "127.0.0.1:" + std::to_string(second)};
  Proxy proxy(origin, s);

  HttpClient v4(proxy.port());
  CHECK(v4.get("/via-v4").status == 200);
  HttpClient v6("::1", proxy.port());
  HttpResponse r6 = v6.get("/via-v6");
  CHECK(r6.status == 200);
  CHECK(r6.body == "{\"method\":\"GET\",\"target\":\"/via-v6\"}");
  HttpClient other(second);
  CHECK(other.get("/via-second").status == 200);

  REQUIRE(origin.wait_for_requests(3, 2000ms));
  // The client address etagd reports upstream is the IPv6 one for the IPv6 listener.
  for (const OriginRequest& req : origin.requests()) {
    if (req.path == "/via-v6") CHECK(req.headers.get("X-Forwarded-For") == "::1");
    if (req.path == "/via-v4") CHECK(req.headers.get("X-Forwarded-For") == "127.0.0.1");
  }
}

TEST_CASE("an IPv6-only listen address answers on [::1] and not on 127.0.0.1") {
  if (!ipv6_loopback_available()) {
    MESSAGE("skipped: this machine cannot bind [::1]");
    return;
  }
  ScriptedOrigin origin;
  ProxySettings s;
  s.listen = {"[::1]:$PORT"};
  Proxy proxy(origin, s, "::1");
  HttpClient v6("::1", proxy.port());
  CHECK(v6.get("/six").status == 200);
  CHECK_FALSE(accepts_connections("127.0.0.1", proxy.port()));
}

TEST_CASE("an IPv6 upstream URL is reached over IPv6") {
  if (!ipv6_loopback_available()) {
    MESSAGE("skipped: this machine cannot bind [::1]");
    return;
  }
  ScriptedOrigin::Options options;
  options.ipv6 = true;
  ScriptedOrigin origin(options);
  uint16_t port = free_port();
  std::string yaml = proxy_config(port, origin.port(), {});
  std::string v4 = "http://127.0.0.1:" + std::to_string(origin.port());
  yaml.replace(yaml.find(v4), v4.size(), "http://[::1]:" + std::to_string(origin.port()));
  EtagdProcess etagd(yaml, port);
  etagd.wait_ready();
  HttpResponse r = http_get(port, "/six", {{"Host", "api.example.com"}});
  CHECK(r.status == 200);
  REQUIRE(origin.last_request());
  CHECK(origin.last_request()->path == "/six");
  CHECK(etagd.stop().success());
}

TEST_CASE("an upstream URL with a host name is resolved") {
  ScriptedOrigin::Options options;
  options.ipv6 = ipv6_loopback_available();  // localhost may resolve to ::1 first
  ScriptedOrigin origin(options);
  uint16_t port = free_port();
  std::string yaml = proxy_config(port, origin.port(), {});
  std::string v4 = "http://127.0.0.1:";
  yaml.replace(yaml.find(v4), v4.size(), "http://localhost:");
  EtagdProcess etagd(yaml, port);
  etagd.wait_ready();
  CHECK(http_get(port, "/named").status == 200);
  CHECK(origin.request_count("/named") == 1);
  CHECK(etagd.stop().success());
}

TEST_CASE("workers: auto starts one worker per CPU, each with its own listening socket") {
  ScriptedOrigin origin;
  ProxySettings s;
  s.workers = "auto";
  Proxy proxy(origin, s);
  CHECK(http_get(proxy.port(), "/auto").status == 200);
  size_t cpus = std::thread::hardware_concurrency();
  if (cpus > 0) CHECK(listening_sockets(proxy.port()) == cpus);
}

TEST_CASE("a duration setting takes effect: client_header 1s answers a stalled head with 408") {
  ScriptedOrigin origin;
  ProxySettings s;
  s.timeouts = "client_header: 1s";
  Proxy proxy(origin, s);
  HttpClient c = proxy.client();
  auto start = std::chrono::steady_clock::now();
  c.send_raw("GET /stalled HTTP/1.1\r\nHost: a\r\n");  // the head never ends
  HttpResponse r = c.read_response();
  long took = elapsed_ms(start);
  CHECK(r.status == 408);
  CHECK(took >= 900);
  CHECK(took < 3000);
  CHECK(c.wait_closed(2000ms));
  CHECK(origin.request_count() == 0);
}

TEST_CASE("a size setting takes effect: max_request_body 1KiB admits 1024 bytes, not 1025") {
  ScriptedOrigin origin;
  ProxySettings s;
  s.limits = "max_request_body: 1KiB";
  Proxy proxy(origin, s);
  HttpResponse ok = http_request(proxy.port(), "POST", "/upload", {}, std::string(1024, 'a'));
  CHECK(ok.status == 200);
  HttpResponse big = http_request(proxy.port(), "POST", "/upload", {}, std::string(1025, 'a'));
  CHECK(big.status == 413);
  REQUIRE(origin.wait_for_requests(1, 2000ms));
  CHECK(origin.request_count() == 1);
  CHECK(origin.last_request()->body.size() == 1024);
}

}  // namespace etagd::testing
