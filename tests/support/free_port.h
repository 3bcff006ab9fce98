// Free loopback TCP ports for servers started by tests.
//
// The port is a random one below the kernel's ephemeral range, found free by binding it and
// closing the socket. Between that close and the moment the server under test binds the port,
// another process could take it. Ports from the ephemeral range (what binding port 0 returns)
// were taken that way, now and then, by the local end of some test's outgoing connection;
// below the range only another test's free_port() could, by drawing the same one of ~12,000
// ports within milliseconds. A server that can bind port 0 itself (ScriptedOrigin) does so.
#pragma once

#include <cstdint>

namespace etagd::testing {

// A port that was free on 127.0.0.1 a moment ago.
uint16_t free_port();

// A port that was free on both 127.0.0.1 and ::1 (for dual-stack listen tests).
// Throws if no such port is found in a bounded number of tries.
uint16_t free_port_dual_stack();

// A TCP socket bound to family's loopback address (AF_INET or AF_INET6, v6-only) on `port`
// (0 = any), with SO_REUSEADDR; `type_flags` adds to SOCK_STREAM | SOCK_CLOEXEC (e.g.
// SOCK_NONBLOCK). Returns -1 with errno set on failure.
int bind_loopback(int family, uint16_t port, int type_flags = 0);

// The local port of a bound socket, 0 if it cannot be read.
uint16_t bound_port(int fd);

// True if this machine can bind ::1 (IPv6 loopback may be disabled in containers).
bool ipv6_loopback_available();

}  // namespace etagd::testing
