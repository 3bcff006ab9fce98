// Free loopback TCP ports for servers started by tests.
//
// The port is found by binding port 0, reading the number the kernel chose and closing the
// socket. Between that close and the moment the server under test binds the port, another
// process could take it: a small race, accepted because the kernel hands out ephemeral ports
// round-robin across a range of ~28000, so a collision needs an unlucky wrap-around within
// milliseconds. A server that can bind port 0 itself (ScriptedOrigin) does so instead.
#pragma once

#include <cstdint>

namespace etagd::testing {

// A port that was free on 127.0.0.1 a moment ago.
uint16_t free_port();

// A port that was free on both 127.0.0.1 and ::1 (for dual-stack listen tests).
// Throws if no such port is found in a bounded number of tries.
uint16_t free_port_dual_stack();

// True if this machine can bind ::1 (IPv6 loopback may be disabled in containers).
bool ipv6_loopback_available();

}  // namespace etagd::testing
