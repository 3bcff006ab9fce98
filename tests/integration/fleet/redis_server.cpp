#include "redis_server.h"

#include <signal.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/free_port.h"

namespace etagd::testing {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

RedisServer::RedisServer(uint16_t port) : port_(port == 0 ? free_port() : port) { start(); }

RedisServer::~RedisServer() {
  if (process_) process_->kill();
}

bool RedisServer::running() { return process_ && process_->running(); }

void RedisServer::start() {
  if (running()) return;
  ChildProcess::Options options;
  options.output_path = dir_.file("redis.log").string();
  options.working_dir = dir_.path().string();
  process_.reset();
  try {
    process_.emplace(std::vector<std::string>{"redis-server", "--port", std::to_string(port_),
                                              "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                              "no", "--dir", dir_.path().string()},
                     options);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) +
                             " (the fleet tests need redis-server: apt-get install redis-server)");
  }
  frozen_ = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->running()) break;
    ProcessResult r =
        run_process({"redis-cli", "-p", std::to_string(port_), "PING"}, milliseconds(1000));
    if (r.exit.success() && trim(r.output) == "PONG") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("redis-server did not answer PING on port " + std::to_string(port_) +
                           ":\n" + dir_.read("redis.log"));
}

void RedisServer::kill() {
  if (process_) process_->kill();
  frozen_ = false;
}

void RedisServer::freeze() {
  if (process_ && !frozen_) {
    process_->signal(SIGSTOP);
    frozen_ = true;
  }
}

void RedisServer::thaw() {
  if (process_ && frozen_) {
    process_->signal(SIGCONT);
    frozen_ = false;
  }
}

std::string RedisServer::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"redis-cli", "-p", std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = run_process(argv, milliseconds(5000));
  if (!r.exit.success() || r.timed_out) {
    throw std::runtime_error("redis-cli failed (" + r.exit.describe() + "): " + r.output);
  }
  return r.output;
}

int RedisServer::kill_clients_named(const std::string& name_prefix) const {
  // CLIENT LIST lines: "id=7 addr=127.0.0.1:5000 ... name=etagd:a:sub ..."
  std::istringstream lines(cli({"CLIENT", "LIST"}));
  std::string line;
  int killed = 0;
  while (std::getline(lines, line)) {
    size_t name_at = line.find(" name=");
    if (name_at == std::string::npos ||
        line.compare(name_at + 6, name_prefix.size(), name_prefix) != 0) {
      continue;
    }
    if (line.rfind("id=", 0) != 0) continue;
    std::string id = line.substr(3, line.find(' ') - 3);
    if (trim(cli({"CLIENT", "KILL", "ID", id})) == "1") ++killed;
  }
  return killed;
}

}  // namespace etagd::testing
