// The shifting-size workload: does etagd's resident memory stay near cache.max_memory when the
// sizes of the bodies it stores change?
//
// One etagd (`workers` workers, `cache.max_memory`, every response stored for an hour) in front
// of an origin that answers `GET /shift/<size>/<n>` with exactly <size> bytes. Client threads on
// keep-alive connections ask for URLs never asked before (n counts up), so every request is a
// miss that stores its body and, once the budget is reached, evicts older entries. The body
// sizes are drawn uniformly from one phase's range until the clients have received
// `phase_budgets` times max_memory in that phase, then the next phase starts; the phases cycle
// (100 B-512 KiB, then 100 B-4 KiB, 16-64 KiB, 256-512 KiB by default). Entries of one size
// class evicted to make room for another are what leave the holes an allocator may keep.
//
// A sampler reads etagd's VmRSS every `sample_every` and, from /metrics, etagd_cache_bytes and
// etagd_heap_bytes. bench/memory_shift prints the figures; tests/soak asserts the bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace etagd::testing {

struct SizeRange {
  uint32_t min_bytes;
  uint32_t max_bytes;
};

struct SizeShiftOptions {
  std::string etagd_binary;  // "" = the etagd built with the tests (etagd_binary_path())
  uint32_t max_memory_mib = 64;
  int workers = 2;
  int connections = 4;
  std::vector<SizeRange> phases = {
      {100, 512 * 1024}, {100, 4 * 1024}, {16 * 1024, 64 * 1024}, {256 * 1024, 512 * 1024}};
  int cycles = 3;
  double phase_budgets = 4.0;  // body bytes per phase, in multiples of max_memory
  std::chrono::milliseconds sample_every{250};
  std::chrono::seconds time_limit{300};  // the run stops here even if phases remain
  std::vector<std::string> env;          // extra environment for etagd ("NAME=value")
  unsigned seed = 1;
};

struct SizeShiftSample {
  double seconds = 0;        // since the load started
  int phase = 0;             // index into the schedule (cycle * phases + phase)
  uint64_t rss_bytes = 0;    // VmRSS
  int64_t cache_bytes = -1;  // etagd_cache_bytes (-1: the scrape failed)
  int64_t heap_bytes = -1;   // etagd_heap_bytes (-1: not exported or the scrape failed)
  int64_t heap_free_bytes = -1;  // etagd_heap_free_bytes
};

struct SizeShiftResult {
  SizeShiftOptions options;
  uint64_t start_rss_bytes = 0;  // before the first request
  uint64_t requests = 0;
  uint64_t body_bytes = 0;
  uint64_t failures = 0;  // requests without a complete 200 of the right size
  int phases_done = 0;
  double seconds = 0;
  std::vector<SizeShiftSample> samples;
  std::string etagd_exit;  // how etagd ended on SIGTERM ("exit code 0")
  bool clean_exit = false;
  std::string etagd_log_tail;  // when it did not end cleanly

  uint64_t max_memory_bytes() const { return uint64_t{options.max_memory_mib} << 20; }
  uint64_t peak_rss_bytes() const;
  // The p-th percentile (0..100) of the RSS samples (nearest rank).
  uint64_t rss_percentile(double p) const;
  // Samples whose RSS exceeds max_memory + `margin_bytes`.
  size_t samples_above(uint64_t margin_bytes) const;
  // A readable report: the settings, peak and percentiles against max_memory, and per phase.
  std::string describe() const;
};

// Runs the workload described above. Throws std::runtime_error if etagd does not start.
SizeShiftResult run_size_shift(const SizeShiftOptions& options);

}  // namespace etagd::testing
