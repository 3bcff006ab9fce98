// The soak test's workload: what the origin serves, what the clients ask for, and what every
// answer must look like. Kept apart from the test's orchestration (soak_test.cpp) so the rules
// of the game can be read in one place.
//
// Origin routes (etagd in front of them caches under /api/ and /faulty/):
//   /api/items/<n>     200, a body of 1-48 KiB that depends only on n (800 items, about 20 MiB:
//                      more than the cache holds, so it evicts): cache hits and misses; GET,
//                      HEAD, conditional GET with the ETag seen before (304), and PUT / DELETE,
//                      which invalidate the item
//   /api/big/<n>       200, 600 KiB: over max_object_size, streamed and never stored
//   /faulty/reset/<n>  resets mid-body             -> 502 (or a cut connection)
//   /faulty/garbage/<n> garbage status line        -> 502
//   /faulty/cut/<n>    FIN mid-body                 -> 502 (or a cut connection)
//   /faulty/slow/<n>   answers after upstream_read -> 504
//   /faulty/drip/<n>   drips a small body           -> 200
//   /faulty/error/<n>  500                          -> 500
// Any other answer, a wrong body, or a cut connection where none is allowed is unexpected.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "support/scripted_origin.h"

namespace etagd::testing {

// Timings the origin's faulty routes are built around; etagd's upstream_read must lie between
// the drip gap and the slow route's delay.
inline constexpr std::chrono::milliseconds kSlowRouteDelay{1500};
inline constexpr std::chrono::milliseconds kDripGap{50};

// Body of /api/items/<n> (0 <= n < 800): deterministic, so every answer can be checked byte
// for byte.
const std::string& item_body(int n);
// Body of /api/big/<n> (0 <= n < 8).
const std::string& big_body(int n);

// Installs the routes above on `origin`.
void install_soak_routes(ScriptedOrigin& origin);

// Outcomes of every request the clients sent, merged from all client threads.
class SoakTally {
 public:
  // One answer (or failure) of a kind: "GET /api/items 200", "faulty/reset 502",
  // "faulty/reset cut"... `expected` says whether the workload's rules allow it.
  void record(const std::string& kind, bool expected, const std::string& detail = "");

  uint64_t sent() const { return sent_; }
  uint64_t expected() const { return expected_; }
  uint64_t unexpected() const { return unexpected_; }
  std::map<std::string, uint64_t> by_kind() const;
  std::vector<std::string> unexpected_details() const;  // the first few, for the failure text
  void count_sent() { ++sent_; }

 private:
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> expected_{0};
  std::atomic<uint64_t> unexpected_{0};
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> kinds_;
  std::vector<std::string> details_;
};

// One client thread: a keep-alive connection to etagd (reopened whenever etagd or a fault
// closes it) sending a seeded random mix of the requests above until `stop` is raised, the
// deadline passes or `max_requests` were sent.
void run_soak_client(uint16_t port, unsigned seed, const std::atomic<bool>& stop,
                     std::chrono::steady_clock::time_point deadline, uint64_t max_requests,
                     SoakTally& tally);

}  // namespace etagd::testing
