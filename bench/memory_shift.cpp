// Resident memory against cache.max_memory while the sizes of stored bodies shift: the real
// etagd binary in front of a small origin on loopback (free ports), unique URLs so that every
// request stores a body and evicts, RSS sampled every 0.25 s. The workload is
// tests/soak/size_shift.h; the soak suite runs a short version of it and asserts the bound.
//
//   memory_shift [--etagd PATH] [--max-memory MiB] [--workers N] [--connections N]
//                [--cycles N] [--phase-budgets X] [--time-limit S] [--seed N]
//                [--env NAME=value]... [--samples FILE]
//
// Defaults: the etagd built in this tree, 64 MiB, 2 workers, 4 connections, 3 cycles of the
// four phases (100 B-512 KiB, 100 B-4 KiB, 16-64 KiB, 256-512 KiB), 4x max_memory of bodies
// per phase, at most 300 s. --samples writes every sample as CSV (seconds, phase, RSS, cache,
// heap and free heap bytes). Exit status 0 when every sample stayed within max_memory + 32 MiB, 1 when
// one did not, 2 on a usage error or a failed run.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>

#include "size_shift.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: memory_shift [--etagd PATH] [--max-memory MiB] [--workers N] "
               "[--connections N] [--cycles N] [--phase-budgets X] [--time-limit S] "
               "[--seed N] [--env NAME=value]... [--samples FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  etagd::testing::SizeShiftOptions o;
  std::string samples_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage();
      return 0;
    }
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    if (arg == "--etagd") {
      o.etagd_binary = v;
    } else if (arg == "--max-memory") {
      o.max_memory_mib = static_cast<uint32_t>(std::strtoul(v, nullptr, 10));
    } else if (arg == "--workers") {
      o.workers = std::atoi(v);
    } else if (arg == "--connections") {
      o.connections = std::atoi(v);
    } else if (arg == "--cycles") {
      o.cycles = std::atoi(v);
    } else if (arg == "--phase-budgets") {
      o.phase_budgets = std::strtod(v, nullptr);
    } else if (arg == "--time-limit") {
      o.time_limit = std::chrono::seconds(std::atoi(v));
    } else if (arg == "--seed") {
      o.seed = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else if (arg == "--env") {
      o.env.emplace_back(v);
    } else if (arg == "--samples") {
      samples_path = v;
    } else {
      return usage();
    }
  }
  if (o.max_memory_mib == 0 || o.workers < 1 || o.connections < 1 || o.cycles < 1 ||
      o.phase_budgets <= 0 || o.time_limit.count() <= 0) {
    return usage();
  }
  try {
    etagd::testing::SizeShiftResult r = etagd::testing::run_size_shift(o);
    std::fputs(r.describe().c_str(), stdout);
    if (!samples_path.empty()) {
      std::ofstream csv(samples_path);
      csv << "seconds,phase,rss_bytes,cache_bytes,heap_bytes,heap_free_bytes\n";
      for (const auto& s : r.samples) {
        csv << s.seconds << "," << s.phase << "," << s.rss_bytes << "," << s.cache_bytes << ","
            << s.heap_bytes << "," << s.heap_free_bytes << "\n";
      }
    }
    if (!r.clean_exit) {
      std::fprintf(stderr, "etagd did not exit cleanly:\n%s\n", r.etagd_log_tail.c_str());
      return 2;
    }
    if (r.failures > 0 || r.samples.empty()) return 2;
    return r.samples_above(32ull << 20) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "memory_shift: %s\n", e.what());
    return 2;
  }
}
