// What the process_* metrics show, read from /proc when /metrics is scraped, with the
// meanings the Prometheus client libraries give them (client_golang's process collector):
//   process_cpu_seconds_total       user + system CPU time (counter)
//   process_resident_memory_bytes   RSS
//   process_virtual_memory_bytes    virtual size
//   process_start_time_seconds      start time, seconds since the epoch
//   process_open_fds                open file descriptors
//   process_max_fds                 the RLIMIT_NOFILE soft limit
#pragma once

#include <cstdint>
#include <string_view>

namespace etagd::ops {

struct ProcessStats {
  bool ok = false;  // /proc/self/stat was read; the other fields are meaningful
  double cpu_seconds = 0;
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  double start_time_seconds = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
};

// The running process's figures. Reads a few small /proc files: for a scrape, not a request.
ProcessStats read_process_stats();

// The fields of one /proc/<pid>/stat line (proc(5)): utime, stime, starttime, vsize and rss,
// converted with the clock tick rate, the page size and the boot time (btime of /proc/stat).
// False if the line does not parse. The command name may hold spaces and parentheses.
bool parse_proc_stat(std::string_view line, long ticks_per_second, long page_size,
                     int64_t boot_time_seconds, ProcessStats& out);

}  // namespace etagd::ops
