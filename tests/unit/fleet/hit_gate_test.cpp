#include "fleet/hit_gate.h"

#include <doctest/doctest.h>

#include "entries.h"
#include "unit/wall_time.h"

using etagd::testing::at;
using namespace std::chrono_literals;

using etagd::fleet::HitGate;
using etagd::fleet::testing::entry;

TEST_CASE("while subscribed (or with fleet mode off) the gate allows every entry") {
  HitGate off;  // what a worker uses without a fleet block
  CHECK(off.allows(*entry("h/a", 0), at(1'000'000)));
  HitGate subscribed{true, 0s};
  CHECK(subscribed.allows(*entry("h/a", 1000), at(999'999)));
}

TEST_CASE("unsubscribed with max_staleness 0, no entry is allowed, however recent") {
  HitGate gate{false, 0s};
  CHECK_FALSE(gate.allows(*entry("h/a", 1000), at(1000)));
  CHECK_FALSE(gate.allows(*entry("h/a", 1000), at(1001)));
}

TEST_CASE("unsubscribed, only entries validated less than max_staleness ago are allowed") {
  HitGate gate{false, 5s};
  auto e = entry("h/a", 1000);
  CHECK(gate.allows(*e, at(1000)));
  CHECK(gate.allows(*e, at(1004)));
  CHECK_FALSE(gate.allows(*e, at(1005)));  // exactly max_staleness old: revalidate
  CHECK_FALSE(gate.allows(*e, at(2000)));
}
