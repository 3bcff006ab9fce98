// Listening sockets. Each worker gets its own socket per listen address, bound with
// SO_REUSEPORT, so the kernel spreads new connections across workers without a shared accept
// lock. Sockets are opened on the main thread before workers start, so a bind failure is
// reported at startup with the address that failed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/event_handles.h"
#include "base/status.h"
#include "base/timer.h"
#include "base/unique_fd.h"

namespace etagd::net {

// Opens, binds and listens on host:port (`text` names the address in errors, as the
// configuration wrote it).
base::Status open_listen_socket(const std::string& host, uint16_t port, const std::string& text,
                                base::UniqueFd& out);

class Listener {
 public:
  // Called for each accepted connection (non-blocking, close-on-exec, TCP_NODELAY set).
  using AcceptFn = std::function<void(base::UniqueFd fd, const sockaddr* peer)>;

  Listener(event_base* base, base::UniqueFd fd, AcceptFn on_accept);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void set_accepting(bool on);
  void close();  // stop for good (drain)

 private:
  static void on_readable(evutil_socket_t fd, short, void* self);
  static void on_resume(void* self);
  void update_event();

  base::UniqueFd fd_;
  AcceptFn on_accept_;
  base::EventPtr event_;
  base::Timer resume_;
  bool accepting_ = false;       // what the worker wants
  bool out_of_resources_ = false;  // accept() failed for lack of descriptors or memory
  bool armed_ = false;
};

}  // namespace etagd::net
