#include "base/graveyard.h"

namespace etagd::base {

Graveyard::Graveyard(event_base* base) : reaper_(event_new(base, -1, 0, &Graveyard::on_reap, this)) {}

Graveyard::~Graveyard() { clear(); }

void Graveyard::schedule() { event_active(reaper_.get(), EV_TIMEOUT, 0); }

void Graveyard::clear() {
  // Destroying one object may bury others (a connection buries its exchange): loop.
  while (!dead_.empty()) {
    std::vector<std::shared_ptr<void>> batch;
    batch.swap(dead_);
    batch.clear();
  }
}

void Graveyard::on_reap(evutil_socket_t, short, void* self) { static_cast<Graveyard*>(self)->clear(); }

}  // namespace etagd::base
