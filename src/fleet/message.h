// The fleet's wire format: one invalidation per Redis pub/sub message, as one text line
//
//   etagd1 <sender> <kind> <value>
//
//   etagd1 web-1#5f0c2a91 url api.example.com/items/42
//   etagd1 web-1#5f0c2a91 prefix /api/uploads/
//   etagd1 web-1#5f0c2a91 path /api/users
//   etagd1 web-1#5f0c2a91 target /api/items/3?page=2
//   etagd1 web-1#5f0c2a91 all
//   etagd1 web-1#5f0c2a91 ping 17
//
// `sender` is the instance_id plus a random per-process nonce, so an instance recognises its
// own messages even when two instances were configured with the same instance_id. `value` is
// everything after the third space, byte for byte (a Redis payload is binary-safe, so a path
// prefix with spaces travels intact). Text rather than JSON: `redis-cli SUBSCRIBE` shows an
// operator exactly what travels, and parsing needs no library.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace etagd::fleet {

enum class MessageKind {
  Url,        // value: a cache URL key (cache_key.h); drop every variant stored at it
  Prefix,     // value: a path prefix; everything under it is invalid (any host)
  Path,       // value: a path; it and every path below it, segment-wise (any host)
  Target,     // value: path?query; drop every variant stored at it on every host
  All,        // no value: the sender may have lost messages; revalidate everything
  Heartbeat,  // value: a counter; proves the sender's publish -> subscribe path works
};

struct Message {
  std::string sender;
  MessageKind kind = MessageKind::Url;
  std::string value;

  bool operator==(const Message&) const = default;
};

// The version tag every message starts with; a message with another tag is not etagd's.
inline constexpr std::string_view kWireVersion = "etagd1";

// "url", "prefix", "path", "target", "all", "ping"
std::string_view kind_name(MessageKind kind);

// `sender` must not contain a space (config validation guarantees that for instance_id).
std::string encode(const Message& message);

// nullopt for anything that is not a well-formed etagd1 message: another version tag, an
// empty sender, an unknown kind, a url/prefix/path/target without a value, an `all` with one.
std::optional<Message> decode(std::string_view payload);

}  // namespace etagd::fleet
