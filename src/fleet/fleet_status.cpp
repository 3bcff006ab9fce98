#include "fleet/fleet_status.h"

namespace etagd::fleet {

void fill_gauges(const FleetStatus& status, ops::ProcessGauges& gauges) {
  gauges.fleet_enabled = true;
  gauges.fleet_connected = status.connected;
  gauges.fleet_messages_sent = status.sent;
  gauges.fleet_messages_applied = status.applied;
  gauges.fleet_messages_dropped = status.dropped;
  gauges.fleet_gaps = status.gaps;
}

}  // namespace etagd::fleet
