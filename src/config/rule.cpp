#include "config/rule.h"

namespace etagd::config {

const std::string* CacheControlRewrite::for_status(int status) const {
  // A 304 stands for the 200 the client already holds (RFC 9110 §15.4.5), so it carries the
  // 2xx policy; otherwise a 304 with the 3xx value could shorten that 200's freshness.
  const std::optional<std::string>* slot = nullptr;
  if (status == 304 || (status >= 200 && status < 300)) {
    slot = &status_2xx;
  } else if (status >= 300 && status < 400) {
    slot = &status_3xx;
  } else if (status >= 400 && status < 500) {
    slot = &status_4xx;
  } else if (status >= 500 && status < 600) {
    slot = &status_5xx;
  }
  if (slot != nullptr && slot->has_value()) return &**slot;
  if (other.has_value()) return &*other;
  return nullptr;
}

TtlValue Ttl::for_status(int status) const {
  for (const auto& [code, entry] : codes) {
    if (code == status) return entry;
  }
  int cls = status / 100;
  if (cls >= 0 && cls < static_cast<int>(classes.size()) && classes[cls]) return *classes[cls];
  return *this;
}

bool Ttl::any_from_origin() const {
  if (from_origin) return true;
  for (const auto& entry : codes) {
    if (entry.second.from_origin) return true;
  }
  for (const std::optional<TtlValue>& c : classes) {
    if (c && c->from_origin) return true;
  }
  return false;
}

}  // namespace etagd::config
