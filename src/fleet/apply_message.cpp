#include "fleet/apply_message.h"

namespace etagd::fleet {

Inbound apply_message(const Message& message, std::string_view self, cache::CacheStore& cache) {
  bool own = message.sender == self;
  if (message.kind == MessageKind::Heartbeat) {
    return own ? Inbound::OwnHeartbeat : Inbound::PeerHeartbeat;
  }
  if (own) return Inbound::OwnMessage;
  switch (message.kind) {
    case MessageKind::Url:
      cache.invalidate_url(message.value);
      break;
    case MessageKind::Prefix:
      cache.invalidate_prefix(message.value);
      break;
    case MessageKind::Path:
      cache.invalidate_prefix(message.value, cache::PrefixMatch::Segments);
      break;
    case MessageKind::Target:
      cache.purge_target(message.value);
      break;
    case MessageKind::All:
      cache.mark_all_stale();
      break;
    case MessageKind::Heartbeat:
      break;  // handled above
  }
  return Inbound::Applied;
}

}  // namespace etagd::fleet
