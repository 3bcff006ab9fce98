// ChildProcess: daemons started by tests end when the test is done with them.
#include "support/child_process.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "support/scripted_origin.h"
#include "support/socket_stream.h"

namespace etagd::testing {
namespace {

using namespace std::chrono_literals;

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

TEST_CASE("run_process captures stdout and stderr and the exit code") {
  ProcessResult r = run_process({"sh", "-c", "echo to-out; echo to-err >&2; exit 3"});
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit.exited);
  CHECK(r.exit.code == 3);
  CHECK_FALSE(r.exit.success());
  CHECK(r.output.find("to-out") != std::string::npos);
  CHECK(r.output.find("to-err") != std::string::npos);
  CHECK(r.exit.describe() == "exit code 3");
}

TEST_CASE("run_process kills a program that outlives its timeout") {
  auto start = Clock::now();
  ProcessResult r = run_process({"sleep", "30"}, 200ms);
  CHECK(r.timed_out);
  CHECK_FALSE(r.exit.exited);
  CHECK(r.exit.signal == SIGKILL);
  CHECK(Clock::now() - start < 5s);
}

TEST_CASE("a program that cannot be executed throws with its name and the reason") {
  try {
    ChildProcess child({"/nonexistent/etagd-nope"});
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    CHECK(what.find("/nonexistent/etagd-nope") != std::string::npos);
    CHECK(what.find("No such file") != std::string::npos);
  }
}

TEST_CASE("stop sends SIGTERM and reports how the child ended") {
  ChildProcess child({"sleep", "30"});
  CHECK(child.running());
  auto start = Clock::now();
  ProcessExit e = child.stop(2000ms);
  CHECK(e.signal == SIGTERM);
  CHECK(e.describe() == "killed by SIGTERM");
  CHECK(Clock::now() - start < 2000ms);
  CHECK_FALSE(child.running());
}

TEST_CASE("stop escalates to SIGKILL when SIGTERM is ignored") {
  ChildProcess child({"sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"});
  std::this_thread::sleep_for(100ms);  // let the shell install its trap
  ProcessExit e = child.stop(300ms);
  CHECK(e.signal == SIGKILL);
}

TEST_CASE("the destructor kills and reaps a running child") {
  pid_t pid;
  {
    ChildProcess child({"sleep", "30"});
    pid = child.pid();
    CHECK(process_exists(pid));
  }
  CHECK_FALSE(process_exists(pid));
}

TEST_CASE("signal and wait observe a child ending on its own signal") {
  ChildProcess child({"sleep", "30"});
  CHECK_FALSE(child.wait(50ms));
  child.signal(SIGUSR1);  // default action: terminate
  auto e = child.wait(2000ms);
  REQUIRE(e);
  CHECK(e->signal == SIGUSR1);
  child.signal(SIGTERM);  // harmless once it has exited
}

TEST_CASE("the child gets extra environment and does not inherit the test's sockets") {
  ScriptedOrigin origin;
  uint16_t port = origin.port();
  ChildProcess::Options options;
  options.env = {"ETAGD_TEST_MARK=present"};
  // The child would still hold the origin's listening socket if it were inherited.
  ChildProcess child({"sh", "-c", "test \"$ETAGD_TEST_MARK\" = present && sleep 30"}, options);
  std::this_thread::sleep_for(50ms);
  CHECK(child.running());
  origin.stop();
  CHECK_FALSE(accepts_connections("127.0.0.1", port));
}

}  // namespace etagd::testing
