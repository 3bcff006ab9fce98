#include "http/http_date.h"

#include <ctime>

#include "http/token.h"

namespace etagd::http {

namespace {

// Names are fixed ASCII (RFC 9110 §5.6.7): no locale, no strftime/strptime.
constexpr std::string_view kDayNames[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kLongDayNames[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                               "Thursday", "Friday", "Saturday"};
constexpr std::string_view kMonthNames[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct CivilDate {
  int64_t year;
  int month;  // 1-12
  int day;    // 1-31
};

CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int64_t y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// A cursor over the date text; every read either consumes exactly what the grammar asks for
// or fails, and a failed parse is never partially used.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool at_end() const { return i_ == s_.size(); }

  bool literal(std::string_view lit) {
    if (s_.substr(i_, lit.size()) != lit) return false;
    i_ += lit.size();
    return true;
  }
  // Exactly n digits.
  bool digits(int n, int& out) {
    int v = 0;
    for (int k = 0; k < n; ++k) {
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
      v = v * 10 + (s_[i_++] - '0');
    }
    out = v;
    return true;
  }
  // One of `names` (case-sensitive, as the grammar's %s strings); its index or -1.
  template <size_t N>
  int name(const std::string_view (&names)[N]) {
    for (size_t k = 0; k < N; ++k) {
      if (literal(names[k])) return static_cast<int>(k);
    }
    return -1;
  }
  bool month(int& out) {
    int m = name(kMonthNames);
    out = m + 1;
    return m >= 0;
  }
  // time-of-day = hour ":" minute ":" second. second may be 60 (a leap second, §5.6.7).
  bool time_of_day(int& h, int& m, int& s) {
    return digits(2, h) && literal(":") && digits(2, m) && literal(":") && digits(2, s) &&
           h <= 23 && m <= 59 && s <= 60;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

std::optional<int64_t> to_epoch(int64_t year, int month, int day, int h, int m, int s) {
  if (day < 1 || day > days_in_month(year, month)) return std::nullopt;
  return days_from_civil(year, month, day) * kSecondsPerDay + h * 3600 + m * 60 + s;
}

int current_year() {
  std::time_t now = std::time(nullptr);
  return static_cast<int>(civil_from_days(static_cast<int64_t>(now) / kSecondsPerDay).year);
}

// IMF-fixdate = day-name "," SP day SP month SP year SP time-of-day SP "GMT"
std::optional<int64_t> parse_imf_fixdate(std::string_view text) {
  Reader r(text);
  int day, month, year, h, m, s;
  if (r.name(kDayNames) < 0 || !r.literal(", ") || !r.digits(2, day) || !r.literal(" ") ||
      !r.month(month) || !r.literal(" ") || !r.digits(4, year) || !r.literal(" ") ||
      !r.time_of_day(h, m, s) || !r.literal(" GMT") || !r.at_end()) {
    return std::nullopt;
  }
  return to_epoch(year, month, day, h, m, s);
}

// rfc850-date = day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"
std::optional<int64_t> parse_rfc850_date(std::string_view text) {
  Reader r(text);
  int day, month, yy, h, m, s;
  if (r.name(kLongDayNames) < 0 || !r.literal(", ") || !r.digits(2, day) || !r.literal("-") ||
      !r.month(month) || !r.literal("-") || !r.digits(2, yy) || !r.literal(" ") ||
      !r.time_of_day(h, m, s) || !r.literal(" GMT") || !r.at_end()) {
    return std::nullopt;
  }
  // §5.6.7: a two-digit year that would be more than 50 years in the future is the most
  // recent past year with the same last two digits.
  int now = current_year();
  int64_t year = now - now % 100 + yy;
  if (year > now + 50) year -= 100;
  return to_epoch(year, month, day, h, m, s);
}

// asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year
std::optional<int64_t> parse_asctime_date(std::string_view text) {
  Reader r(text);
  int day, month, year, h, m, s;
  if (r.name(kDayNames) < 0 || !r.literal(" ") || !r.month(month) || !r.literal(" ")) {
    return std::nullopt;
  }
  if (r.literal(" ")) {
    if (!r.digits(1, day)) return std::nullopt;
  } else if (!r.digits(2, day)) {
    return std::nullopt;
  }
  if (!r.literal(" ") || !r.time_of_day(h, m, s) || !r.literal(" ") || !r.digits(4, year) ||
      !r.at_end()) {
    return std::nullopt;
  }
  return to_epoch(year, month, day, h, m, s);
}

void put2(char* out, int v) {
  out[0] = static_cast<char>('0' + v / 10);
  out[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

// The day name is required to be a day name but is not checked against the date: it carries
// no information the date does not, and rejecting a date over it would only turn a usable
// Expires or Last-Modified into "already expired" / "no validator".
std::optional<int64_t> parse_http_date(std::string_view text) {
  std::string_view t = trim_ows(text);
  if (t.size() == kHttpDateLength && t[3] == ',') return parse_imf_fixdate(t);
  if (t.size() > 3 && t[3] == ' ') return parse_asctime_date(t);
  return parse_rfc850_date(t);
}

void format_http_date(int64_t epoch_seconds, char out[kHttpDateLength]) {
  // Four-digit years only: 0001-01-01T00:00:00 .. 9999-12-31T23:59:59.
  constexpr int64_t kMin = -62135596800;
  constexpr int64_t kMax = 253402300799;
  if (epoch_seconds < kMin) epoch_seconds = kMin;
  if (epoch_seconds > kMax) epoch_seconds = kMax;

  int64_t days = epoch_seconds / kSecondsPerDay;
  int64_t secs = epoch_seconds % kSecondsPerDay;
  if (secs < 0) {
    secs += kSecondsPerDay;
    --days;
  }
  const CivilDate date = civil_from_days(days);
  const int weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  const int year = static_cast<int>(date.year);

  // "Sun, 06 Nov 1994 08:49:37 GMT"
  std::string_view day_name = kDayNames[weekday];
  std::string_view month_name = kMonthNames[date.month - 1];
  for (int k = 0; k < 3; ++k) out[k] = day_name[k];
  out[3] = ',';
  out[4] = ' ';
  put2(out + 5, date.day);
  out[7] = ' ';
  for (int k = 0; k < 3; ++k) out[8 + k] = month_name[k];
  out[11] = ' ';
  put2(out + 12, year / 100);
  put2(out + 14, year % 100);
  out[16] = ' ';
  put2(out + 17, static_cast<int>(secs / 3600));
  out[19] = ':';
  put2(out + 20, static_cast<int>(secs / 60 % 60));
  out[22] = ':';
  put2(out + 23, static_cast<int>(secs % 60));
  out[25] = ' ';
  out[26] = 'G';
  out[27] = 'M';
  out[28] = 'T';
}

}  // namespace etagd::http
