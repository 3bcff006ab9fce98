#include "base/clock.h"

#include <event2/event.h>

namespace etagd::base {

WallMillis LoopClock::wall_ms() const {
  timeval tv;
  event_base_gettimeofday_cached(base_, &tv);
  return WallMillis(std::chrono::milliseconds(static_cast<int64_t>(tv.tv_sec) * 1000 +
                                              tv.tv_usec / 1000));
}

}  // namespace etagd::base
