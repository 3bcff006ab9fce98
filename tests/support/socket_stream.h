// A blocking TCP socket with a read buffer, where every wait has a deadline.
// Both the scripted origin and the test client read HTTP through it, so a test can never hang
// on a peer that stops talking: each call returns a status instead of blocking past its deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace etagd::testing {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
using std::chrono::milliseconds;

inline Deadline deadline_after(milliseconds timeout) { return Clock::now() + timeout; }

enum class IoStatus {
  ok,
  timeout,    // the deadline passed first
  closed,     // orderly EOF (peer sent FIN)
  reset,      // ECONNRESET / EPIPE: the peer aborted the connection
  too_large,  // more than the allowed bytes arrived without the expected delimiter
  malformed,  // bytes that do not follow the expected syntax (set by message parsers)
  cancelled,  // the cancel flag was raised (the owner is stopping)
  error,      // any other socket error
};
const char* describe(IoStatus status);

class SocketStream {
 public:
  SocketStream() = default;
  explicit SocketStream(int fd) : fd_(fd) {}  // takes ownership
  ~SocketStream() { close(); }
  SocketStream(SocketStream&& other) noexcept;
  SocketStream& operator=(SocketStream&& other) noexcept;
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  void close();
  // Closes with SO_LINGER {on, 0}: the kernel sends RST instead of FIN and drops unsent data.
  void reset();
  // Half-close: sends FIN, reading stays possible.
  void shutdown_write();

  // While *flag is true every wait returns IoStatus::cancelled (checked at least every 50ms).
  void set_cancel_flag(const std::atomic<bool>* flag) { cancel_ = flag; }

  // Reads until the stream holds `delimiter`, then moves everything up to and including it
  // into `out` (replacing its contents). At most `max_bytes` may precede the delimiter.
  IoStatus read_until(std::string_view delimiter, size_t max_bytes, Deadline deadline,
                      std::string& out);
  // Appends exactly n bytes to `out`; on failure `out` holds what did arrive.
  IoStatus read_exact(size_t n, Deadline deadline, std::string& out);
  // Appends everything up to EOF to `out`; returns ok at EOF, too_large past max_bytes.
  IoStatus read_to_eof(size_t max_bytes, Deadline deadline, std::string& out);
  // Waits until the peer closes (EOF or RST, returned as closed / reset), buffering any data
  // that arrives meanwhile; timeout if the connection is still open at the deadline.
  IoStatus wait_closed(Deadline deadline);
  // Waits until at least one more byte is buffered.
  IoStatus fill(Deadline deadline);

  // Bytes received but not consumed yet.
  std::string_view buffered() const { return std::string_view(buffer_).substr(start_); }
  std::string take_buffered();

  IoStatus write_all(std::string_view bytes, Deadline deadline);

 private:
  IoStatus wait_for(short events, Deadline deadline);
  void consume(size_t n, std::string& out);

  int fd_ = -1;
  std::string buffer_;
  size_t start_ = 0;  // consumed prefix of buffer_
  const std::atomic<bool>* cancel_ = nullptr;
};

// Connects to host:port ("127.0.0.1", "::1" or "localhost") before the deadline.
// Returns the connected socket (close-on-exec, TCP_NODELAY) or -1 with *error set.
int connect_tcp(const std::string& host, uint16_t port, Deadline deadline, std::string* error);

// True if a TCP connection to host:port is accepted within the timeout (it is closed at once).
bool accepts_connections(const std::string& host, uint16_t port,
                         milliseconds timeout = milliseconds(200));

}  // namespace etagd::testing
