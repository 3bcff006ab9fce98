#include "support/sanitizer_report.h"

namespace etagd::testing {

std::string sanitizer_report(std::string_view log) {
  static constexpr std::string_view kMarkers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                                  "runtime error:", "WARNING: ThreadSanitizer",
                                                  "ERROR: UndefinedBehaviorSanitizer"};
  for (std::string_view marker : kMarkers) {
    size_t at = log.find(marker);
    if (at == std::string_view::npos) continue;
    size_t from = log.rfind('\n', at);
    from = from == std::string_view::npos ? 0 : from + 1;
    return std::string(log.substr(from, 4000));
  }
  return "";
}

}  // namespace etagd::testing
