#include "config/size_and_duration.h"

#include <charconv>
#include <limits>

namespace etagd::config {

namespace {

// Splits "256MiB" into 256 and "MiB". Digits only: no sign, no fraction, no white space inside;
// a config that says "1.5s" or "-1" is rejected rather than guessed at.
bool split_number(std::string_view text, uint64_t& number, std::string_view& unit) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first == last || *first < '0' || *first > '9') return false;
  auto [end, ec] = std::from_chars(first, last, number);
  if (ec != std::errc()) return false;  // includes overflow of uint64_t
  unit = std::string_view(end, static_cast<size_t>(last - end));
  return true;
}

bool multiply(uint64_t a, uint64_t b, uint64_t& out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  out = a * b;
  return true;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  uint64_t number = 0;
  std::string_view unit;
  if (!split_number(text, number, unit)) return std::nullopt;

  uint64_t ms_per_unit = 0;
  if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit.empty() || unit == "s") {
    ms_per_unit = 1000;
  } else if (unit == "m") {
    ms_per_unit = 60 * 1000;
  } else if (unit == "h") {
    ms_per_unit = 60 * 60 * 1000;
  } else if (unit == "d") {
    ms_per_unit = 24 * 60 * 60 * 1000;
  } else {
    return std::nullopt;
  }
  uint64_t ms = 0;
  using Rep = std::chrono::milliseconds::rep;
  if (!multiply(number, ms_per_unit, ms) ||
      ms > static_cast<uint64_t>(std::numeric_limits<Rep>::max())) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<Rep>(ms));
}

std::optional<uint64_t> parse_size(std::string_view text) {
  uint64_t number = 0;
  std::string_view unit;
  if (!split_number(text, number, unit)) return std::nullopt;

  // Decimal-looking suffixes are read as binary, as nginx does: nobody sizing a cache means
  // 16000 bytes by "16KB".
  constexpr uint64_t kKi = 1024;
  uint64_t scale = 0;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "KiB" || unit == "KB" || unit == "k" || unit == "K") {
    scale = kKi;
  } else if (unit == "MiB" || unit == "MB" || unit == "m" || unit == "M") {
    scale = kKi * kKi;
  } else if (unit == "GiB" || unit == "GB" || unit == "g" || unit == "G") {
    scale = kKi * kKi * kKi;
  } else if (unit == "TiB" || unit == "TB" || unit == "t" || unit == "T") {
    scale = kKi * kKi * kKi * kKi;
  } else {
    return std::nullopt;
  }
  uint64_t bytes = 0;
  if (!multiply(number, scale, bytes)) return std::nullopt;
  return bytes;
}

}  // namespace etagd::config
