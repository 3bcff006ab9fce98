#include "config/size_and_duration.h"

#include <charconv>
#include <limits>
#include <string>

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

// Decimal-looking suffixes are read as binary, as nginx does: nobody sizing a cache means
// 16000 bytes by "16KB".
std::optional<uint64_t> size_unit_scale(std::string_view unit) {
  constexpr uint64_t kKi = 1024;
  if (unit.empty() || unit == "B") return 1;
  if (unit == "KiB" || unit == "KB" || unit == "k" || unit == "K") return kKi;
  if (unit == "MiB" || unit == "MB" || unit == "m" || unit == "M") return kKi * kKi;
  if (unit == "GiB" || unit == "GB" || unit == "g" || unit == "G") return kKi * kKi * kKi;
  if (unit == "TiB" || unit == "TB" || unit == "t" || unit == "T") return kKi * kKi * kKi * kKi;
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  // Units from the largest down; a compound duration names each at most once, in this order
  // ("1h30m", "1m30s", "2s500ms"), as nginx reads them.
  struct Unit {
    std::string_view name;
    uint64_t ms;
  };
  static constexpr Unit kUnits[] = {{"d", 24 * 60 * 60 * 1000},
                                    {"h", 60 * 60 * 1000},
                                    {"m", 60 * 1000},
                                    {"s", 1000},
                                    {"ms", 1}};
  using Rep = std::chrono::milliseconds::rep;
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<Rep>::max());

  uint64_t total = 0;
  size_t next_unit = 0;  // index in kUnits that the next part may use, or any later one
  bool first = true;
  while (!text.empty()) {
    if (!first && text.front() == ' ') text.remove_prefix(1);  // "1h 30m", as nginx allows
    const char* begin = text.data();
    const char* last = text.data() + text.size();
    const char* unit_end = begin;
    while (unit_end != last && *unit_end >= '0' && *unit_end <= '9') ++unit_end;
    while (unit_end != last && ((*unit_end >= 'a' && *unit_end <= 'z'))) ++unit_end;
    uint64_t number = 0;
    std::string_view unit;
    if (!split_number(std::string_view(begin, static_cast<size_t>(unit_end - begin)), number,
                      unit)) {
      return std::nullopt;
    }
    text.remove_prefix(static_cast<size_t>(unit_end - begin));
    uint64_t ms_per_unit = 0;
    if (unit.empty()) {
      if (!first || !text.empty()) return std::nullopt;  // a bare number stands alone
      ms_per_unit = 1000;
    } else {
      size_t i = next_unit;
      while (i < std::size(kUnits) && kUnits[i].name != unit) ++i;
      if (i == std::size(kUnits)) return std::nullopt;  // unknown, repeated or out of order
      ms_per_unit = kUnits[i].ms;
      next_unit = i + 1;
    }
    uint64_t ms = 0;
    if (!multiply(number, ms_per_unit, ms) || ms > kMax - total) return std::nullopt;
    total += ms;
    first = false;
  }
  if (first) return std::nullopt;
  return std::chrono::milliseconds(static_cast<Rep>(total));
}

std::optional<uint64_t> parse_size(std::string_view text) {
  uint64_t number = 0;
  std::string_view unit;
  if (!split_number(text, number, unit)) return std::nullopt;
  std::optional<uint64_t> scale = size_unit_scale(unit);
  if (!scale) return std::nullopt;
  uint64_t bytes = 0;
  if (!multiply(number, *scale, bytes)) return std::nullopt;
  return bytes;
}

std::string format_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::string format_size(uint64_t bytes) {
  constexpr uint64_t kKiB = 1024;
  if (bytes != 0 && bytes % (kKiB * kKiB * kKiB) == 0) {
    return std::to_string(bytes / (kKiB * kKiB * kKiB)) + "GiB";
  }
  if (bytes != 0 && bytes % (kKiB * kKiB) == 0) return std::to_string(bytes / (kKiB * kKiB)) + "MiB";
  if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + "KiB";
  return std::to_string(bytes);
}

std::string format_size_like(uint64_t bytes, std::string_view written) {
  size_t digits = 0;
  while (digits < written.size() && written[digits] >= '0' && written[digits] <= '9') ++digits;
  std::string_view unit = written.substr(digits);
  std::optional<uint64_t> scale = size_unit_scale(unit);
  if (!scale || bytes % *scale != 0) return format_size(bytes);
  return std::to_string(bytes / *scale) + std::string(unit);
}

}  // namespace etagd::config
