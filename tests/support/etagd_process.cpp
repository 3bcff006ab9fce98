#include "support/etagd_process.h"

#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "support/socket_stream.h"

namespace etagd::testing {
namespace {

constexpr milliseconds kReadyPollInterval{20};
constexpr milliseconds kLogPollInterval{20};

}  // namespace

std::string etagd_binary_path() {
  const char* env = std::getenv("ETAGD_BINARY");
  if (env && *env) return env;
#ifdef ETAGD_BINARY
  return ETAGD_BINARY;
#else
  return "";
#endif
}

std::string basic_config(uint16_t listen_port, uint16_t upstream_port, std::string_view extra) {
  std::string yaml = "listen: [\"127.0.0.1:" + std::to_string(listen_port) + "\"]\n" +
                     "upstream: { url: \"http://127.0.0.1:" + std::to_string(upstream_port) +
                     "\" }\n" + "workers: 1\n" + "admin: off\n";
  yaml += extra;
  if (!extra.empty() && extra.back() != '\n') yaml += '\n';
  return yaml;
}

ChildProcess EtagdProcess::launch(const TempDir& dir, std::string_view config_yaml,
                                  const Options& options) {
  std::string binary = options.binary.empty() ? etagd_binary_path() : options.binary;
  if (binary.empty()) {
    throw std::runtime_error("EtagdProcess: no etagd binary (set ETAGD_BINARY or build etagd)");
  }
  std::string config = dir.write("etagd.yaml", config_yaml).string();
  std::vector<std::string> argv{binary, "--config", config};
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  ChildProcess::Options child;
  child.output_path = dir.file("etagd.log").string();
  child.env = options.env;
  child.working_dir = dir.path().string();
  return ChildProcess(std::move(argv), child);
}

EtagdProcess::EtagdProcess(std::string_view config_yaml, uint16_t port)
    : EtagdProcess(config_yaml, port, Options{}) {}

EtagdProcess::EtagdProcess(std::string_view config_yaml, uint16_t port, Options options)
    : dir_("etagd"),
      port_(port),
      host_(options.host),
      process_(launch(dir_, config_yaml, options)) {}

void EtagdProcess::wait_ready(milliseconds timeout) { wait_listening(port_, timeout); }

void EtagdProcess::wait_listening(uint16_t port, milliseconds timeout) {
  Deadline deadline = deadline_after(timeout);
  for (;;) {
    if (auto exited = process_.wait(milliseconds(0))) {
      throw std::runtime_error("etagd exited before listening on " + host_ + ":" +
                               std::to_string(port) + " (" + exited->describe() + "); log:\n" +
                               log());
    }
    if (accepts_connections(host_, port, kReadyPollInterval * 5)) return;
    if (Clock::now() >= deadline) {
      throw std::runtime_error("etagd did not listen on " + host_ + ":" + std::to_string(port) +
                               " within " + std::to_string(timeout.count()) + "ms; log:\n" + log());
    }
    std::this_thread::sleep_for(kReadyPollInterval);
  }
}

std::string EtagdProcess::log() const { return dir_.read("etagd.log"); }

bool EtagdProcess::wait_for_log(std::string_view text, milliseconds timeout) const {
  Deadline deadline = deadline_after(timeout);
  for (;;) {
    if (log().find(text) != std::string::npos) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kLogPollInterval);
  }
}

void EtagdProcess::rewrite_config(std::string_view config_yaml) {
  dir_.write("etagd.yaml", config_yaml);
}

}  // namespace etagd::testing
