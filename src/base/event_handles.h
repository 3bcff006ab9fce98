// RAII owners for libevent objects, so no path forgets to free one.
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

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
struct BuffereventFree {
  void operator()(bufferevent* b) const { bufferevent_free(b); }
};
struct EvconnlistenerFree {
  void operator()(evconnlistener* l) const { evconnlistener_free(l); }
};

using EventBasePtr = std::unique_ptr<event_base, EventBaseFree>;
using EventPtr = std::unique_ptr<event, EventFree>;
using EvbufferPtr = std::unique_ptr<evbuffer, EvbufferFree>;
using BuffereventPtr = std::unique_ptr<bufferevent, BuffereventFree>;
using EvconnlistenerPtr = std::unique_ptr<evconnlistener, EvconnlistenerFree>;

inline EvbufferPtr make_evbuffer() { return EvbufferPtr(evbuffer_new()); }

}  // namespace etagd::base
