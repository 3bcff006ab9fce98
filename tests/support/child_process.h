// ChildProcess: a program a test starts (etagd, the demo origin, redis-server...), owned like
// any other resource: it is killed and reaped when the object goes away, so a failing test
// never leaves a daemon behind. The child also dies with the test process
// (PR_SET_PDEATHSIG), which covers a test killed by its CTest timeout.
//
// The child gets stdin from /dev/null, stdout and stderr appended to one file (or /dev/null),
// default signal handling, and no descriptor of the test process except those three.
// Note: PR_SET_PDEATHSIG fires when the *thread* that started the child exits, so start
// children from the test's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace etagd::testing {

using std::chrono::milliseconds;

struct ProcessExit {
  bool exited = false;  // true: returned/exit()ed with `code`; false: killed by `signal`
  int code = -1;
  int signal = 0;

  bool success() const { return exited && code == 0; }
  std::string describe() const;  // "exit code 0", "killed by SIGKILL"
};

class ChildProcess {
 public:
  struct Options {
    std::string output_path;       // stdout+stderr appended here; "" = /dev/null
    std::vector<std::string> env;  // extra "NAME=value" entries (override inherited ones)
    std::string working_dir;       // "" = the test's
  };

  // Starts argv[0] (searched in PATH when it has no '/'). Throws std::runtime_error when the
  // program cannot be executed; the message names it and the reason.
  explicit ChildProcess(std::vector<std::string> argv);
  ChildProcess(std::vector<std::string> argv, Options options);
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // False once the child has exited (and then it is reaped).
  bool running();
  // Sends a signal; does nothing once the child has exited.
  void signal(int sig);
  // Waits for the child to exit, at most `timeout`; nullopt while it still runs.
  std::optional<ProcessExit> wait(milliseconds timeout);
  // SIGTERM, then SIGKILL if it has not exited after `grace`; returns how it ended.
  ProcessExit stop(milliseconds grace = milliseconds(10000));
  // SIGKILL now.
  ProcessExit kill();
  // How it ended, if it has.
  const std::optional<ProcessExit>& exit() const { return exit_; }

 private:
  bool reap(bool block);

  pid_t pid_ = -1;
  std::optional<ProcessExit> exit_;
};

struct ProcessResult {
  ProcessExit exit;
  std::string output;  // stdout and stderr, interleaved as written
  bool timed_out = false;
};

// Runs a program to completion (killed after `timeout`) and returns its exit and output.
// For one-shot commands such as `etagd --check-config`.
ProcessResult run_process(std::vector<std::string> argv,
                          milliseconds timeout = milliseconds(10000));

}  // namespace etagd::testing
