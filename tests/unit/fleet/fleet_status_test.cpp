#include "fleet/fleet_status.h"

#include <doctest/doctest.h>

TEST_CASE("fill_gauges reports fleet mode on and copies the channel's counters") {
  etagd::fleet::FleetStatus s;
  s.connected = true;
  s.sent = 7;
  s.applied = 5;
  s.dropped = 1;
  s.gaps = 2;
  etagd::ops::ProcessGauges g;
  g.draining = true;  // fields outside the fleet's are left alone
  etagd::fleet::fill_gauges(s, g);
  CHECK(g.fleet_enabled);
  CHECK(g.fleet_connected);
  CHECK(g.fleet_messages_sent == 7);
  CHECK(g.fleet_messages_applied == 5);
  CHECK(g.fleet_messages_dropped == 1);
  CHECK(g.fleet_gaps == 2);
  CHECK(g.draining);

  s.connected = false;
  etagd::fleet::fill_gauges(s, g);
  CHECK_FALSE(g.fleet_connected);
}
