// Soak: resident memory stays within cache.max_memory + 32 MiB while the sizes of stored bodies
// shift (tests/soak/size_shift.h), at every sample, and etagd_cache_bytes plus
// etagd_heap_bytes account for what is resident. One cycle of the four phases;
// bench/memory_shift runs three, with the figures in bench/README.md.
//
// Under AddressSanitizer the allocator is ASan's, not glibc's (what etagd tunes), and ASan adds
// its shadow and quarantine: there the test only checks that the run completes and etagd exits
// cleanly, and reports the figures.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "size_shift.h"

namespace etagd::testing {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

bool sanitized_build() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

}  // namespace

TEST_CASE("soak: RSS stays within max_memory + 32 MiB while body sizes shift") {
  SizeShiftOptions o;
  o.max_memory_mib = 64;
  o.workers = 2;
  o.connections = 4;
  o.cycles = 1;
  o.phase_budgets = 3;
  o.time_limit = std::chrono::seconds(90);
  o.env = {"ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16:abort_on_error=0"};
  SizeShiftResult r = run_size_shift(o);
  MESSAGE(r.describe());
  if (const char* path = std::getenv("ETAGD_SOAK_REPORT"); path && *path) {
    std::ofstream(path, std::ios::app) << "\n== size shift ==\n" << r.describe();
  }

  CHECK_MESSAGE(r.clean_exit, r.etagd_log_tail);
  CHECK(r.failures == 0);
  CHECK(r.phases_done == static_cast<int>(o.phases.size()));
  REQUIRE(r.samples.size() >= 8);
  if (sanitized_build()) return;

  CHECK(r.samples_above(32 * kMiB) == 0);
  for (const SizeShiftSample& s : r.samples) {
    CAPTURE(s.seconds);
    CAPTURE(s.phase);
    CHECK(s.cache_bytes >= 0);
    CHECK(static_cast<uint64_t>(s.cache_bytes) <= r.max_memory_bytes());
    // What malloc has handed out covers the cache; what is resident beyond it is what was
    // resident at start (code, libraries, stacks) and free heap not trimmed yet, which the
    // trimmer keeps within its slack (24 MiB, src/main.cpp).
    CHECK(s.heap_bytes >= s.cache_bytes);
    CHECK(s.rss_bytes <= static_cast<uint64_t>(s.heap_bytes) + r.start_rss_bytes + 24 * kMiB);
  }
}

}  // namespace etagd::testing
