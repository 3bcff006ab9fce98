#include "support/fragile_origin.h"

#include <string>

namespace etagd::testing {

FragileOrigin::FragileOrigin(size_t capacity, std::chrono::milliseconds work)
    : capacity_(capacity), work_(work), counters_(std::make_shared<Counters>()) {}

OriginHandler FragileOrigin::handler() const {
  return [c = counters_, capacity = capacity_, work = work_](const OriginRequest& req,
                                                            OriginReply& reply) {
    size_t now = c->in_flight.fetch_add(1) + 1;
    size_t peak = c->peak.load();
    while (now > peak && !c->peak.compare_exchange_weak(peak, now)) {
    }
    if (now > capacity) {
      c->in_flight.fetch_sub(1);
      c->failed.fetch_add(1);
      reply.reply(500, {{"Cache-Control", "no-store"}}, "overloaded\n");
      return;
    }
    reply.sleep(work);
    // Counted out before the answer leaves: once the proxy has the answer it may send the
    // next request, and that one must not find this one still counted.
    c->in_flight.fetch_sub(1);
    c->served.fetch_add(1);
    reply.reply(200, {{"Cache-Control", "max-age=60"}}, "served " + req.target + "\n");
  };
}

}  // namespace etagd::testing
