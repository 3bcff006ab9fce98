// EtagdProcess: the real etagd binary, started for one test with a config written to a
// private temporary directory and its stdout+stderr captured in a log file there.
//
//   ScriptedOrigin origin;
//   uint16_t port = free_port();
//   EtagdProcess etagd(basic_config(port, origin.port()), port);
//   etagd.wait_ready();                    // throws with the log if etagd died or never listened
//   HttpResponse r = http_get(port, "/api/items");
//   CHECK(etagd.stop().success());         // SIGTERM: a clean drain exits 0
//
// The binary is $ETAGD_BINARY when the environment sets it, else the etagd built with the
// tests (compiled-in path). Destruction kills the process if it still runs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace etagd::testing {

// Path of the etagd binary to test, "" if there is none.
std::string etagd_binary_path();

// The smallest config: listen on 127.0.0.1:listen_port, upstream http://127.0.0.1:upstream_port,
// one worker, no admin listener; `extra` (top-level YAML keys, one per line) is appended.
std::string basic_config(uint16_t listen_port, uint16_t upstream_port, std::string_view extra = "");

class EtagdProcess {
 public:
  struct Options {
    std::string binary;                   // "" = etagd_binary_path()
    std::vector<std::string> extra_args;  // appended after "--config FILE"
    std::vector<std::string> env;         // extra "NAME=value" entries
    std::string host = "127.0.0.1";       // where wait_ready() connects
  };

  // Writes `config_yaml` to <dir>/etagd.yaml and starts `etagd --config <dir>/etagd.yaml`;
  // `port` is the listen port wait_ready() polls. Throws if the binary cannot be executed.
  EtagdProcess(std::string_view config_yaml, uint16_t port);
  EtagdProcess(std::string_view config_yaml, uint16_t port, Options options);
  ~EtagdProcess() = default;  // the ChildProcess member kills etagd if it still runs

  // Polls the listen port until it accepts a connection. Throws std::runtime_error carrying
  // the log when the process exits first or the timeout passes.
  void wait_ready(milliseconds timeout = milliseconds(5000));
  // The same for another port of this process, such as the admin listener: etagd opens that
  // one after its workers listen, so a test that talks to it waits for it too.
  void wait_listening(uint16_t port, milliseconds timeout = milliseconds(5000));
  void signal(int sig) { process_.signal(sig); }
  // SIGTERM, wait up to `grace`, then SIGKILL; returns how it ended.
  ProcessExit stop(milliseconds grace = milliseconds(10000)) { return process_.stop(grace); }
  // Waits for it to exit by itself (e.g. after a fatal config error).
  std::optional<ProcessExit> wait_exit(milliseconds timeout) { return process_.wait(timeout); }
  bool running() { return process_.running(); }

  // Everything etagd wrote to stdout and stderr so far.
  std::string log() const;
  // Polls the log until it contains `text`; false at the timeout.
  bool wait_for_log(std::string_view text, milliseconds timeout) const;
  // Replaces the config file atomically; send SIGHUP to make etagd read it.
  void rewrite_config(std::string_view config_yaml);

  uint16_t port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  std::string config_path() const { return dir_.file("etagd.yaml").string(); }
  std::string log_path() const { return dir_.file("etagd.log").string(); }
  const TempDir& dir() const { return dir_; }

 private:
  static ChildProcess launch(const TempDir& dir, std::string_view config_yaml,
                             const Options& options);

  TempDir dir_;
  uint16_t port_;
  std::string host_;
  ChildProcess process_;
};

}  // namespace etagd::testing
