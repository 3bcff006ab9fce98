#include "support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <thread>

#include "support/temp_dir.h"

extern char** environ;

namespace etagd::testing {
namespace {

constexpr milliseconds kPollInterval{5};

ProcessExit decode(int status) {
  ProcessExit e;
  if (WIFEXITED(status)) {
    e.exited = true;
    e.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    e.signal = WTERMSIG(status);
  }
  return e;
}

std::string find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return name;  // execve will report ENOENT
}

// Everything after fork() in the child must be async-signal-safe: the test process has other
// threads, whose locks may be held at the moment of the fork.
[[noreturn]] void exec_child(const char* path, char* const* argv, char* const* envp, int stdin_fd,
                             int output_fd, int error_pipe, pid_t parent, const char* working_dir) {
  auto fail = [&]() {
    int e = errno;
    [[maybe_unused]] ssize_t n = ::write(error_pipe, &e, sizeof e);
    ::_exit(127);
  };
  ::setpgid(0, 0);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
  if (::getppid() != parent) ::_exit(127);  // the test died before prctl took effect

  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD}) {
    ::sigaction(sig, &dfl, nullptr);
  }

  if (::dup2(stdin_fd, 0) < 0 || ::dup2(output_fd, 1) < 0 || ::dup2(output_fd, 2) < 0) fail();
  // Close every other inherited descriptor (listening sockets of a ScriptedOrigin above all:
  // a copy held by the child would keep accepting after the origin stopped).
  if (error_pipe > 3) ::close_range(3, static_cast<unsigned>(error_pipe) - 1, 0);
  ::close_range(static_cast<unsigned>(error_pipe) + 1, ~0U, 0);
  if (working_dir && ::chdir(working_dir) != 0) fail();
  ::execve(path, argv, envp);
  fail();
  ::_exit(127);  // not reached: fail() exits
}

}  // namespace

std::string ProcessExit::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal == 0) return "unknown end";
  const char* name = ::sigabbrev_np(signal);
  return std::string("killed by ") + (name ? std::string("SIG") + name : std::to_string(signal));
}

ChildProcess::ChildProcess(std::vector<std::string> argv)
    : ChildProcess(std::move(argv), Options{}) {}

ChildProcess::ChildProcess(std::vector<std::string> argv, Options options) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  std::string path = find_in_path(argv[0]);

  // Everything the child needs is prepared here, before fork().
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    env_map[entry.substr(0, entry.find('='))] = entry;
  }
  for (const std::string& entry : options.env) env_map[entry.substr(0, entry.find('='))] = entry;
  std::vector<std::string> env_strings;
  for (auto& [name, entry] : env_map) env_strings.push_back(entry);
  std::vector<char*> cenv;
  for (std::string& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  int stdin_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int output_fd =
      options.output_path.empty()
          ? ::open("/dev/null", O_WRONLY | O_CLOEXEC)
          : ::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int error_pipe[2] = {-1, -1};
  if (stdin_fd < 0 || output_fd < 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    std::string why = std::strerror(errno);
    if (stdin_fd >= 0) ::close(stdin_fd);
    if (output_fd >= 0) ::close(output_fd);
    throw std::runtime_error("ChildProcess: cannot prepare descriptors for " + path + ": " + why);
  }
  const char* working_dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ == 0) {
    exec_child(path.c_str(), cargv.data(), cenv.data(), stdin_fd, output_fd, error_pipe[1], parent,
               working_dir);
  }
  int fork_errno = errno;
  ::close(stdin_fd);
  ::close(output_fd);
  ::close(error_pipe[1]);
  if (pid_ < 0) {
    ::close(error_pipe[0]);
    throw std::runtime_error("ChildProcess: fork: " + std::string(std::strerror(fork_errno)));
  }
  // The pipe closes on a successful exec (O_CLOEXEC); otherwise it carries the child's errno.
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    reap(true);
    pid_ = -1;
    throw std::runtime_error("ChildProcess: cannot execute " + path + ": " +
                             std::strerror(child_errno));
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), exit_(std::move(other.exit_)) {
  other.pid_ = -1;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_) kill();
}

bool ChildProcess::reap(bool block) {
  if (exit_) return true;
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_ = decode(status);
    return true;
  }
  if (r < 0) {  // not our child any more (someone else reaped it): treat as gone
    exit_ = ProcessExit{};
    return true;
  }
  return false;
}

bool ChildProcess::running() { return pid_ > 0 && !reap(false); }

void ChildProcess::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::optional<ProcessExit> ChildProcess::wait(milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pid_ <= 0 || reap(false)) return exit_;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

ProcessExit ChildProcess::stop(milliseconds grace) {
  signal(SIGTERM);
  if (auto e = wait(grace)) return *e;
  return kill();
}

ProcessExit ChildProcess::kill() {
  if (pid_ > 0 && !exit_) {
    ::kill(-pid_, SIGKILL);  // the child leads its own process group: take helpers along
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  return exit_.value_or(ProcessExit{});
}

ProcessResult run_process(std::vector<std::string> argv, milliseconds timeout) {
  TempDir dir("etagd-run");
  ChildProcess::Options options;
  options.output_path = dir.file("output").string();
  ChildProcess child(std::move(argv), options);
  ProcessResult result;
  if (auto e = child.wait(timeout)) {
    result.exit = *e;
  } else {
    result.timed_out = true;
    result.exit = child.kill();
  }
  result.output = dir.read("output");
  return result;
}

}  // namespace etagd::testing
