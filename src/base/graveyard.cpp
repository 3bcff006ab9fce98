#include "base/graveyard.h"

namespace etagd::base {

Graveyard::Graveyard(event_base* base) : reaper_(event_new(base, -1, 0, &Graveyard::on_reap, this)) {}

Graveyard::~Graveyard() { clear(); }

void Graveyard::schedule() {
  // One activation per batch: an event already active stays so.
  if (dead_.size() == 1) event_active(reaper_.get(), EV_TIMEOUT, 0);
}

void Graveyard::clear() {
  // Destroying one object may bury others (a connection buries its exchange): loop.
  while (!dead_.empty()) {
    reaping_.swap(dead_);
    for (const Dead& d : reaping_) d.destroy(d.object);
    reaping_.clear();
  }
}

void Graveyard::on_reap(evutil_socket_t, short, void* self) { static_cast<Graveyard*>(self)->clear(); }

}  // namespace etagd::base
