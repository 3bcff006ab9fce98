#include "ops/heap_trim.h"

#include <doctest/doctest.h>
#include <event2/event.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

namespace etagd::ops {
namespace {

using std::chrono::milliseconds;

struct BaseFree {
  void operator()(event_base* b) const { event_base_free(b); }
};

// Runs the loop long enough for about `ticks` checks at 20 ms each.
void run_ticks(event_base* base, int ticks) {
  timeval tv{0, ticks * 20 * 1000 + 10 * 1000};
  event_base_loopexit(base, &tv);
  event_base_dispatch(base);
}

TEST_CASE("resident_bytes grows when the process touches fresh memory") {
  uint64_t before = HeapTrimmer::resident_bytes();
  REQUIRE(before > 0);
  std::vector<char> block(64u << 20);
  std::memset(block.data(), 1, block.size());
  CHECK(HeapTrimmer::resident_bytes() >= before + (48u << 20));
}

TEST_CASE("the heap is trimmed once RSS exceeds the cache's bytes plus the slack") {
  std::unique_ptr<event_base, BaseFree> base(event_base_new());
  // The test process holds far more than 1 MiB and its "cache" nothing: over the threshold.
  HeapTrimmer trimmer(base.get(), [] { return uint64_t{0}; }, 1u << 20, milliseconds(20));
  run_ticks(base.get(), 1);
  CHECK(trimmer.trims() == 1);
}

TEST_CASE("no trim while RSS stays within the cache's bytes plus the slack") {
  std::unique_ptr<event_base, BaseFree> base(event_base_new());
  HeapTrimmer trimmer(base.get(), [] { return HeapTrimmer::resident_bytes(); }, 1u << 20,
                      milliseconds(20));
  run_ticks(base.get(), 3);
  CHECK(trimmer.trims() == 0);
}

TEST_CASE("the heap is trimmed once the cache has freed a step of memory since the last trim") {
  std::unique_ptr<event_base, BaseFree> base(event_base_new());
  // RSS never exceeds the "cache": only the volume trigger can fire.
  HeapTrimmer trimmer(base.get(), [] { return HeapTrimmer::resident_bytes() + (1u << 30); },
                      1u << 20, milliseconds(20));
  uint64_t freed = 5u << 20;
  trimmer.trim_after_freed([&freed] { return freed; }, 8u << 20);
  run_ticks(base.get(), 2);
  CHECK(trimmer.trims() == 0);  // nothing freed since it started looking

  freed += 7u << 20;
  run_ticks(base.get(), 2);
  CHECK(trimmer.trims() == 0);  // less than a step

  freed += 1u << 20;
  run_ticks(base.get(), 2);
  CHECK(trimmer.trims() == 1);  // a step: one trim, and the count starts again

  freed += 4u << 20;
  run_ticks(base.get(), 2);
  CHECK(trimmer.trims() == 1);
}

TEST_CASE("while the cache keeps freeing, the trimmer looks at the busy interval, not the idle "
          "one") {
  std::unique_ptr<event_base, BaseFree> base(event_base_new());
  // RSS never exceeds the "cache": only the volume trigger can fire.
  HeapTrimmer trimmer(base.get(), [] { return HeapTrimmer::resident_bytes() + (1u << 30); },
                      1u << 20, milliseconds(50), milliseconds(2));
  // Every look finds 1 MiB more freed, as under an eviction storm; a trim every 4 MiB.
  uint64_t freed = 0;
  trimmer.trim_after_freed([&freed] { return freed += 1u << 20; }, 4u << 20);
  timeval tv{0, 160 * 1000};
  event_base_loopexit(base.get(), &tv);
  event_base_dispatch(base.get());
  // Idle looks alone (at 50, 100 and 150 ms) would have seen 3 MiB and trimmed never; from the
  // first look on, looks every 2 ms see 4 MiB every 8 ms.
  CHECK(trimmer.trims() >= 3);
}

TEST_CASE("a trim that gives little back is not repeated until RSS grows by a quarter of the "
          "slack") {
  std::unique_ptr<event_base, BaseFree> base(event_base_new());
  HeapTrimmer trimmer(base.get(), [] { return uint64_t{0}; }, 32u << 20, milliseconds(20));
  // Hold more than the slack in use, so RSS stays above cache bytes (0) + slack after a trim.
  std::vector<char> in_use(48u << 20);
  std::memset(in_use.data(), 1, in_use.size());
  run_ticks(base.get(), 4);
  CHECK(trimmer.trims() == 1);

  std::vector<char> more(48u << 20);
  std::memset(more.data(), 1, more.size());
  run_ticks(base.get(), 2);
  CHECK(trimmer.trims() == 2);
}

}  // namespace
}  // namespace etagd::ops
