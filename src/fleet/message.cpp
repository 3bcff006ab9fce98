#include "fleet/message.h"

namespace etagd::fleet {

namespace {

// Splits off the text up to the next space; false when there is no space.
bool next_field(std::string_view& rest, std::string_view& field) {
  size_t space = rest.find(' ');
  if (space == std::string_view::npos) return false;
  field = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return true;
}

std::optional<MessageKind> kind_from_name(std::string_view name) {
  if (name == "url") return MessageKind::Url;
  if (name == "prefix") return MessageKind::Prefix;
  if (name == "path") return MessageKind::Path;
  if (name == "target") return MessageKind::Target;
  if (name == "all") return MessageKind::All;
  if (name == "ping") return MessageKind::Heartbeat;
  return std::nullopt;
}

}  // namespace

std::string_view kind_name(MessageKind kind) {
  switch (kind) {
    case MessageKind::Url:
      return "url";
    case MessageKind::Prefix:
      return "prefix";
    case MessageKind::Path:
      return "path";
    case MessageKind::Target:
      return "target";
    case MessageKind::All:
      return "all";
    case MessageKind::Heartbeat:
      return "ping";
  }
  return "?";
}

std::string encode(const Message& message) {
  std::string_view kind = kind_name(message.kind);
  std::string out;
  out.reserve(kWireVersion.size() + message.sender.size() + kind.size() + message.value.size() + 3);
  out.append(kWireVersion).append(" ").append(message.sender).append(" ").append(kind);
  if (message.kind != MessageKind::All) out.append(" ").append(message.value);
  return out;
}

std::optional<Message> decode(std::string_view payload) {
  std::string_view rest = payload;
  std::string_view version, sender, kind_text;
  if (!next_field(rest, version) || version != kWireVersion) return std::nullopt;
  if (!next_field(rest, sender) || sender.empty()) return std::nullopt;
  bool has_value = next_field(rest, kind_text);
  if (!has_value) {
    kind_text = rest;  // "... all" ends without a space
    rest = {};
  }
  std::optional<MessageKind> kind = kind_from_name(kind_text);
  if (!kind) return std::nullopt;
  if (*kind == MessageKind::All) {
    if (has_value) return std::nullopt;
  } else if (!has_value || rest.empty()) {
    return std::nullopt;
  }
  return Message{std::string(sender), *kind, std::string(rest)};
}

}  // namespace etagd::fleet
