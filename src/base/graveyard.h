// Deferred destruction: objects handed to a Graveyard are destroyed after the current event
// callback returns, on the loop's own thread. A connection, an exchange or a Redis session is
// never deleted while its own code may still be on the stack (a callback that ends the
// connection it was called for, a library that frees its context after we return).
#pragma once

#include <memory>
#include <vector>

#include "base/event_handles.h"

namespace etagd::base {

class Graveyard {
 public:
  explicit Graveyard(event_base* base);
  ~Graveyard();  // destroys whatever is still waiting
  Graveyard(const Graveyard&) = delete;
  Graveyard& operator=(const Graveyard&) = delete;

  template <typename T>
  void bury(std::unique_ptr<T> p) {
    if (!p) return;
    dead_.push_back(std::shared_ptr<void>(std::move(p)));
    schedule();
  }
  // Destroys everything now (the loop has ended).
  void clear();

 private:
  void schedule();
  static void on_reap(evutil_socket_t, short, void* self);

  std::vector<std::shared_ptr<void>> dead_;
  EventPtr reaper_;
};

}  // namespace etagd::base
