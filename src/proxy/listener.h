// Listening sockets. Each worker gets its own socket per listen address, bound with
// SO_REUSEPORT, so the kernel spreads new connections across workers without a shared accept
// lock. Sockets are opened on the main thread before workers start, so a bind failure is
// reported at startup with the address that failed.
#pragma once

#include <functional>
#include <string>

#include "config/config.h"
#include "proxy/event_handles.h"

namespace etagd::proxy {

// Opens, binds and listens. On failure returns an invalid fd and sets `error`.
UniqueFd open_listen_socket(const config::ListenAddress& address, std::string& error);

class Listener {
 public:
  // Called for each accepted connection (non-blocking, close-on-exec, TCP_NODELAY set).
  using AcceptFn = std::function<void(UniqueFd fd, const sockaddr* peer)>;

  Listener(event_base* base, UniqueFd fd, AcceptFn on_accept);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void set_accepting(bool on);
  void close();  // stop for good (drain)

 private:
  static void on_readable(evutil_socket_t fd, short, void* self);
  static void on_resume(void* self);
  void update_event();

  UniqueFd fd_;
  AcceptFn on_accept_;
  EventPtr event_;
  Timer resume_;
  bool accepting_ = false;       // what the worker wants
  bool out_of_resources_ = false;  // accept() failed for lack of descriptors or memory
  bool armed_ = false;
};

}  // namespace etagd::proxy
