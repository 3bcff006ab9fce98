// Whether a server may be chosen, and with how much of its weight: the verdicts of the active
// health checks (upstream.health_check, health_probes.h), of the passive checks on real
// traffic (upstream.passive), and slow start (upstream.slow_start) after either lets it back.
#pragma once

#include <chrono>
#include <cstdint>

#include "config/config.h"
#include "ops/upstream_error.h"
#include "proxy/upstream_server.h"

namespace etagd::proxy {

// Milliseconds of the monotonic clock, the time base of every health field.
int64_t health_clock_ms();

// Still listed, up by the health checks and not ejected.
bool server_usable(const UpstreamServer& s, int64_t now_ms);

// A connection error or timeout of a real request. True when it ejected the server now.
bool record_passive_failure(UpstreamServer& s, const config::PassiveCheckConfig& passive,
                            int64_t now_ms);

// What a real request to the server came to: failed (a connection error, a timeout, a bad
// answer), or answered. /healthz tells from them that a server nothing checks is failing.
void record_request_failed(UpstreamServer& s, ops::UpstreamError error, int64_t now_ms);
void record_request_answered(UpstreamServer& s);

// One probe's result; returns +1 when it brought the server back, -1 when it took it out, 0
// otherwise. `streak` is the prober's count of equal results in a row (positive: passes).
int record_probe(UpstreamServer& s, const config::HealthCheckConfig& check, bool passed,
                 int& streak, int64_t now_ms);

// The weight a choice uses, in thousandths: the configured weight, or during slow start a
// share of it growing from a tenth to the whole.
uint64_t weight_now_milli(uint32_t weight, const UpstreamServer& s, int64_t slow_start_ms,
                          int64_t now_ms);

}  // namespace etagd::proxy
