// ConnectionFlood: thousands of raw client connections held open at once, the way an attacker
// (or a broken load balancer) holds them: silent, half-sent heads, idle keep-alives.
//
// One thread drives them all with non-blocking sockets and poll(): it writes what a test asks
// and records, per connection, every byte received, when the first byte came and when the
// server closed it. The test process needs a descriptor per connection: raise RLIMIT_NOFILE
// first (process_probe.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace etagd::testing {

class ConnectionFlood {
 public:
  using Clock = std::chrono::steady_clock;

  struct Connection {
    int fd = -1;  // -1 once closed
    Clock::time_point opened;
    std::optional<Clock::time_point> sent;         // last send()
    std::optional<Clock::time_point> first_byte;   // first byte from the server
    std::optional<Clock::time_point> closed;       // FIN or RST from the server
    std::string received;
  };

  // Opens `count` connections to 127.0.0.1:port and waits (bounded by `timeout`) until every
  // handshake completed. Throws std::runtime_error with the reason when one fails.
  ConnectionFlood(uint16_t port, size_t count,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  ~ConnectionFlood();
  ConnectionFlood(const ConnectionFlood&) = delete;
  ConnectionFlood& operator=(const ConnectionFlood&) = delete;

  size_t size() const { return connections_.size(); }
  const Connection& operator[](size_t i) const { return connections_[i]; }

  // Writes `bytes` on connections [from, to) that are still open. Throws when a write does not
  // go through at once (the bytes must be small: a socket buffer holds them).
  void send(size_t from, size_t to, std::string_view bytes);
  // Reads from every open connection until `done()` holds or `timeout` passes; returns done().
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  // Connections in [from, to) the server has closed.
  size_t closed_count(size_t from, size_t to) const;
  // Closes connections [from, to) from this side.
  void close(size_t from, size_t to);

 private:
  void pump_once(std::chrono::milliseconds wait);

  std::vector<Connection> connections_;
};

// True when `bytes` hold a complete response head and the Content-Length body after it.
bool holds_complete_response(std::string_view bytes);

// Milliseconds from `from` to `to`.
inline long ms_between(ConnectionFlood::Clock::time_point from,
                       ConnectionFlood::Clock::time_point to) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count());
}

}  // namespace etagd::testing
