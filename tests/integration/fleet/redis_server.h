// A real redis-server (Debian's package) for one test, on a loopback port, persisting nothing:
//   redis-server --port P --bind 127.0.0.1 --save '' --appendonly no
// The test can kill it, start it again on the same port, freeze it (SIGSTOP: connections stay
// open but nothing answers, like a hung server) and run redis-cli against it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace etagd::testing {

class RedisServer {
 public:
  // Starts on `port` (0: a free one) and waits until it answers PING; throws if it does not,
  // or if redis-server is not installed (Debian: apt-get install redis-server).
  explicit RedisServer(uint16_t port = 0);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return port_; }
  bool running();

  // (Re)starts on the same port and waits until it answers PING (at most 5 s).
  void start();
  // SIGKILL: every connection drops at once, as when Redis crashes.
  void kill();
  // SIGSTOP / SIGCONT: connections stay open, nothing is answered meanwhile.
  void freeze();
  void thaw();

  // redis-cli -p PORT <args...>; returns its output (throws if it fails or hangs for 5 s).
  std::string cli(const std::vector<std::string>& args) const;
  // Kills the connections whose CLIENT SETNAME starts with `name_prefix`; returns how many.
  int kill_clients_named(const std::string& name_prefix) const;

 private:
  TempDir dir_{"etagd-redis"};
  uint16_t port_;
  std::optional<ChildProcess> process_;
  bool frozen_ = false;
};

}  // namespace etagd::testing
