// What a test can see of the etagd process from outside, through /proc: how many file
// descriptors it holds, its open-files limit, the CPU time it used. Resource tests compare
// these before and after a fault to prove etagd gave back what the fault made it take.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>

#include "support/eventually.h"

namespace etagd::testing {

// Entries in /proc/<pid>/fd; -1 if the process is gone.
long open_fds(pid_t pid);

// open_fds once it has stopped changing (the same count three times, 50 ms apart; at most
// 2 s): a baseline taken while etagd still closes a connection a client just left is off by one.
long settled_fds(pid_t pid);

// The soft RLIMIT_NOFILE of a process ("Max open files" in /proc/<pid>/limits); -1 if unknown.
long max_open_files(pid_t pid);

// User plus system CPU time the process used so far, in milliseconds; -1 if unknown.
long cpu_time_ms(pid_t pid);

// Raises this process's soft RLIMIT_NOFILE to at least `wanted` (capped at the hard limit), so
// that etagd, started afterwards, inherits it. Returns the soft limit in force afterwards.
long raise_open_files_limit(long wanted);

}  // namespace etagd::testing
