#include "proxy/server_choice.h"

#include "proxy/server_health.h"

namespace etagd::proxy {

namespace {

bool usable(const RunningServer& s, const ChoiceContext& c) {
  return s.server.get() != c.excluded && server_usable(*s.server, c.now_ms);
}

}  // namespace

ChoiceContext choice_for(const config::UpstreamConfig& upstream, const UpstreamServer* excluded) {
  ChoiceContext c;
  c.limit = upstream.max_connections;
  c.now_ms = health_clock_ms();
  c.slow_start_ms = upstream.slow_start.count();
  c.excluded = excluded;
  return c;
}

ServerChoice choose_server(const std::vector<RunningServer>& servers, const ChoiceContext& c) {
  const uint32_t limit = c.limit;
  for (bool backups : {false, true}) {
    const RunningServer* best = nullptr;
    uint64_t best_load = 0;
    bool any_usable = false;
    for (const RunningServer& s : servers) {
      if (s.backup != backups || !usable(s, c)) continue;
      any_usable = true;
      uint32_t n = s.server->in_flight.load(std::memory_order_relaxed);
      if (limit != 0 && n >= limit) continue;
      // (n + 1) / weight in fixed point: the load the server would carry with this request,
      // so that of two idle servers the heavier one wins.
      uint64_t load = static_cast<uint64_t>(n + 1) * 1'000'000'000 /
                      weight_now_milli(s.weight, *s.server, c.slow_start_ms, c.now_ms);
      if (best == nullptr || load < best_load) {
        best = &s;
        best_load = load;
      }
    }
    if (best != nullptr) return {ServerChoice::Kind::Chosen, best};
    if (any_usable) return {ServerChoice::Kind::AllBusy, nullptr};
  }
  return {ServerChoice::Kind::NoneUsable, nullptr};
}

}  // namespace etagd::proxy
