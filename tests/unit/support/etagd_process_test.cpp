// EtagdProcess, driven with stand-in scripts (so its contract is tested even before etagd
// exists) and, when the build has it, with the real binary.
#include "support/etagd_process.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>

#include "demo_origin_process.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/scripted_origin.h"
#include "support/temp_dir.h"

namespace etagd::testing {
namespace {

using namespace std::chrono_literals;

// Writes an executable /bin/sh script that stands in for etagd.
std::string fake_etagd(const TempDir& dir, const std::string& body) {
  auto path = dir.write("fake-etagd", "#!/bin/sh\n" + body);
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path.string();
}

EtagdProcess::Options with_binary(std::string binary) {
  EtagdProcess::Options options;
  options.binary = std::move(binary);
  return options;
}

}  // namespace

TEST_CASE("basic_config names the listen port, the upstream and appends extra keys") {
  std::string yaml = basic_config(8080, 9000, "timeouts: { upstream_read: 1s }");
  CHECK(yaml.find("listen: [\"127.0.0.1:8080\"]\n") != std::string::npos);
  CHECK(yaml.find("url: \"http://127.0.0.1:9000\"") != std::string::npos);
  CHECK(yaml.find("workers: 1\n") != std::string::npos);
  CHECK(yaml.find("admin: off\n") != std::string::npos);
  CHECK(yaml.substr(yaml.size() - 32) == "timeouts: { upstream_read: 1s }\n");
}

TEST_CASE("wait_ready returns once the process listens, and stop reports its clean exit") {
  TempDir scripts;
  // Reads the port from the config it is given, like etagd, and serves the demo origin there.
  std::string fake = fake_etagd(
      scripts,
      "[ \"$1\" = --config ] || exit 64\n"
      "port=$(sed -n 's/^listen: \\[\"127\\.0\\.0\\.1:\\([0-9]*\\)\"\\].*/\\1/p' \"$2\")\n"
      "echo \"fake etagd: port $port\"\n"
      "exec " +
          std::string(kDemoOriginPath) + " --listen 127.0.0.1:$port --quiet\n");
  uint16_t port = free_port();
  EtagdProcess etagd(basic_config(port, 1), port, with_binary(fake));
  etagd.wait_ready();
  CHECK(http_get(port, "/health").status == 200);
  CHECK(etagd.log().find("fake etagd: port " + std::to_string(port)) != std::string::npos);
  ProcessExit e = etagd.stop();
  CHECK(e.success());
  CHECK_FALSE(etagd.running());
}

TEST_CASE("wait_ready fails with the log when the process exits before listening") {
  TempDir scripts;
  std::string fake = fake_etagd(scripts, "echo 'etagd.yaml:1: listen: bad address' >&2\nexit 1\n");
  uint16_t port = free_port();
  EtagdProcess etagd("listen: nonsense\n", port, with_binary(fake));
  try {
    etagd.wait_ready(3000ms);
    FAIL("wait_ready should have thrown");
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    CHECK(what.find("exit code 1") != std::string::npos);
    CHECK(what.find("listen: bad address") != std::string::npos);
  }
  auto exit = etagd.wait_exit(100ms);
  REQUIRE(exit);
  CHECK(exit->code == 1);
}

TEST_CASE("wait_ready gives up at its timeout when nothing listens") {
  TempDir scripts;
  std::string fake = fake_etagd(scripts, "echo still starting\nexec sleep 30\n");
  uint16_t port = free_port();
  EtagdProcess etagd("{}\n", port, with_binary(fake));
  auto start = Clock::now();
  try {
    etagd.wait_ready(300ms);
    FAIL("wait_ready should have thrown");
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    CHECK(what.find("did not listen") != std::string::npos);
    CHECK(what.find("still starting") != std::string::npos);
  }
  CHECK(Clock::now() - start < 3000ms);
}

TEST_CASE("rewrite_config replaces the file that the process reads on SIGHUP") {
  TempDir scripts;
  std::string fake = fake_etagd(scripts,
                                "trap 'echo \"reloaded: $(cat \"$2\")\"' HUP\n"
                                "echo \"args: $*\"\n"
                                "while :; do sleep 0.05; done\n");
  EtagdProcess::Options options = with_binary(fake);
  options.extra_args = {"--extra"};
  EtagdProcess etagd("workers: 1\n", free_port(), options);
  REQUIRE(etagd.wait_for_log("args: --config " + etagd.config_path() + " --extra", 3000ms));
  etagd.rewrite_config("workers: 2\n");
  CHECK(etagd.dir().read("etagd.yaml") == "workers: 2\n");
  etagd.signal(SIGHUP);
  CHECK(etagd.wait_for_log("reloaded: workers: 2", 3000ms));
  CHECK_FALSE(etagd.wait_for_log("never printed", 50ms));
}

TEST_CASE("EtagdProcess without a binary to run throws") {
  EtagdProcess::Options options = with_binary("/nonexistent/etagd");
  CHECK_THROWS_AS(EtagdProcess("{}\n", free_port(), options), std::runtime_error);
}

#ifdef ETAGD_BINARY
TEST_CASE("the real etagd starts from basic_config and forwards to the scripted origin") {
  ScriptedOrigin origin;
  origin.route("/hello", [](const OriginRequest&, OriginReply& r) {
    r.reply(200, {{"Content-Type", "text/plain"}}, "hello through etagd");
  });
  uint16_t port = free_port();
  EtagdProcess etagd(basic_config(port, origin.port()), port);
  etagd.wait_ready();
  HttpResponse r = http_get(port, "/hello");
  CHECK(r.status == 200);
  CHECK(r.body == "hello through etagd");
  CHECK(origin.request_count("/hello") == 1);
  ProcessExit e = etagd.stop();
  CHECK_MESSAGE(e.success(), e.describe(), "\n", etagd.log());
}
#endif

}  // namespace etagd::testing
