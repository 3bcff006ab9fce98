#include "support/prometheus_text.h"

#include <cstdlib>
#include <string>

namespace etagd::testing {

std::optional<double> sample_value(std::string_view exposition, std::string_view series) {
  size_t pos = 0;
  while ((pos = exposition.find(series, pos)) != std::string_view::npos) {
    bool line_start = pos == 0 || exposition[pos - 1] == '\n';
    size_t after = pos + series.size();
    if (line_start && after < exposition.size() && exposition[after] == ' ') {
      size_t end = exposition.find('\n', after);
      std::string value(exposition.substr(after + 1, end == std::string_view::npos
                                                         ? std::string_view::npos
                                                         : end - after - 1));
      char* parsed_end = nullptr;
      double v = std::strtod(value.c_str(), &parsed_end);
      if (parsed_end == value.c_str() || *parsed_end != '\0') return std::nullopt;
      return v;
    }
    pos = after;
  }
  return std::nullopt;
}

}  // namespace etagd::testing
