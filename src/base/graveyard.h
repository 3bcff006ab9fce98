// Deferred destruction: objects handed to a Graveyard are destroyed after the current event
// callback returns, on the loop's own thread. A connection, an exchange or a Redis session is
// never deleted while its own code may still be on the stack (a callback that ends the
// connection it was called for, a library that frees its context after we return).
//
// Burying allocates nothing per object (a pointer and its deleter go into a vector that keeps
// its capacity): every request retires an exchange, so this is on the hot path.
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
    dead_.push_back({p.release(), [](void* o) { delete static_cast<T*>(o); }});
    schedule();
  }
  // Destroys everything now (the loop has ended).
  void clear();

 private:
  struct Dead {
    void* object;
    void (*destroy)(void*);
  };
  void schedule();
  static void on_reap(evutil_socket_t, short, void* self);

  std::vector<Dead> dead_;
  std::vector<Dead> reaping_;
  EventPtr reaper_;
};

}  // namespace etagd::base
