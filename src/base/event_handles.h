// RAII owners for libevent objects, so no path forgets to free one.
#pragma once

#include <event2/buffer.h>
#include <event2/event.h>

#include <memory>

namespace etagd::base {

struct EventBaseFree {
  void operator()(event_base* b) const { event_base_free(b); }
};
struct EventFree {
  void operator()(event* e) const { event_free(e); }
};
struct EvbufferFree {
  void operator()(evbuffer* b) const { evbuffer_free(b); }
};

using EventBasePtr = std::unique_ptr<event_base, EventBaseFree>;
using EventPtr = std::unique_ptr<event, EventFree>;
using EvbufferPtr = std::unique_ptr<evbuffer, EvbufferFree>;

inline EvbufferPtr make_evbuffer() { return EvbufferPtr(evbuffer_new()); }

}  // namespace etagd::base
