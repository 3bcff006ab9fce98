#include "http/http_date.h"

#include <doctest/doctest.h>

#include <ctime>
#include <random>
#include <string>

using etagd::http::format_http_date;
using etagd::http::kHttpDateLength;
using etagd::http::parse_http_date;

namespace {

std::string format(int64_t t) {
  char buf[kHttpDateLength];
  format_http_date(t, buf);
  return std::string(buf, kHttpDateLength);
}

constexpr int64_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

}  // namespace

TEST_CASE("the RFC 9110 example date parses in all three formats") {
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == kRfcExample);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == kRfcExample);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == kRfcExample);
}

TEST_CASE("dates are formatted as IMF-fixdate") {
  CHECK(format(kRfcExample) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(format(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(format(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
  CHECK(format(1709164800) == "Thu, 29 Feb 2024 00:00:00 GMT");
  CHECK(format(4107542400) == "Mon, 01 Mar 2100 00:00:00 GMT");
  CHECK(format(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
  CHECK(format(-86400 * 365) == "Wed, 01 Jan 1969 00:00:00 GMT");
}

TEST_CASE("formatting clamps to four-digit years") {
  CHECK(format(INT64_MAX) == "Fri, 31 Dec 9999 23:59:59 GMT");
  CHECK(format(INT64_MIN) == "Mon, 01 Jan 0001 00:00:00 GMT");
}

TEST_CASE("format then parse gives back the same second") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    // Years 1 to 9999, seconds included.
    int64_t t = -62135596800 + static_cast<int64_t>(rng() % 315537897600ULL);
    std::string s = format(t);
    CAPTURE(s);
    CHECK(parse_http_date(s) == t);
  }
  for (int64_t t : {int64_t{0}, int64_t{-1}, int64_t{86399}, int64_t{86400}, kRfcExample,
                    int64_t{253402300799}, int64_t{-62135596800}}) {
    CHECK(parse_http_date(format(t)) == t);
  }
}

TEST_CASE("the formatted weekday agrees with the C library's") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::time_t t = static_cast<std::time_t>(rng() % 4102444800ULL);  // 1970..2100
    std::tm tm{};
    gmtime_r(&t, &tm);
    static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    CHECK(format(t).substr(0, 3) == kDays[tm.tm_wday]);
    CHECK(std::stoi(format(t).substr(12, 4)) == tm.tm_year + 1900);
  }
}

TEST_CASE("asctime-date accepts a two-digit or space-padded day") {
  CHECK(parse_http_date("Sun Nov 06 08:49:37 1994") == kRfcExample);
  CHECK(parse_http_date("Thu Jan  1 00:00:00 1970") == 0);
  CHECK(!parse_http_date("Sun Nov 6 08:49:37 1994"));
}

TEST_CASE("rfc850-date two-digit years are read as at most 50 years ahead") {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  const int year = tm.tm_year + 1900;
  auto jan1 = [](int y) {
    return parse_http_date("Thu, 01 Jan " + std::to_string(y) + " 00:00:00 GMT");
  };
  auto rfc850_jan1 = [](int y) {
    char yy[3] = {static_cast<char>('0' + y % 100 / 10), static_cast<char>('0' + y % 10), 0};
    return parse_http_date(std::string("Thursday, 01-Jan-") + yy + " 00:00:00 GMT");
  };
  CHECK(rfc850_jan1(year + 10) == jan1(year + 10));
  CHECK(rfc850_jan1(year + 49) == jan1(year + 49));
  CHECK(rfc850_jan1(year + 51) == jan1(year - 49));
  CHECK(rfc850_jan1(year + 60) == jan1(year - 40));
  CHECK(rfc850_jan1(year) == jan1(year));
}

TEST_CASE("leading and trailing OWS around a date are ignored") {
  CHECK(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT\t") == kRfcExample);
}

TEST_CASE("a wrong day name is accepted: the date alone decides") {
  // The weekday is redundant; rejecting the whole date over it would turn a usable Expires
  // into "already expired". It must still be one of the day names.
  CHECK(parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT") == kRfcExample);
  CHECK(parse_http_date("Friday, 06-Nov-94 08:49:37 GMT") == kRfcExample);
  CHECK(parse_http_date("Wed Nov  6 08:49:37 1994") == kRfcExample);
  CHECK(!parse_http_date("Xyz, 06 Nov 1994 08:49:37 GMT"));
}

TEST_CASE("a leap second is accepted as the next second") {
  CHECK(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT") ==
        parse_http_date("Sun, 01 Jan 2017 00:00:00 GMT"));
}

TEST_CASE("malformed dates are rejected") {
  for (std::string s : {
           "",
           "0",
           "1994-11-06T08:49:37Z",
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 06 Nov 1994 08:49:37 gmt",
           "Sun, 06 Nov 1994 08:49:37",
           "Sun, 06 Nov 1994 08:49:37 GMT+1",
           "sun, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun,  06 Nov 1994 08:49:37 GMT",
           "Sun 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 94 08:49:37 GMT",
           "Sun, 06 Nov 1994 8:49:37 GMT",
           "Sun, 06 Nov 1994 08:49 GMT",
           "Sun, 32 Dec 1994 08:49:37 GMT",
           "Sun, 00 Dec 1994 08:49:37 GMT",
           "Sun, 31 Nov 1994 08:49:37 GMT",
           "Wed, 29 Feb 1995 08:49:37 GMT",
           "Sun, 29 Feb 1900 08:49:37 GMT",
           "Sun, 06 Nov 1994 24:00:00 GMT",
           "Sun, 06 Nov 1994 23:60:00 GMT",
           "Sun, 06 Nov 1994 23:59:61 GMT",
           "Sun, 06 Nov 1994 08:49:37 GMT x",
           "Sunday, 06-Nov-1994 08:49:37 GMT",
           "Sun, 06-Nov-94 08:49:37 GMT",
           "Sunday, 06 Nov 94 08:49:37 GMT",
           "Sun Nov  6 08:49:37 94",
           "Sun Nov  6 08:49:37 1994 GMT",
       }) {
    CAPTURE(s);
    CHECK(!parse_http_date(s));
  }
}

TEST_CASE("leap years follow the Gregorian rules") {
  CHECK(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT") == 951782400);
  CHECK(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT") == 1709164800);
  CHECK(!parse_http_date("Mon, 29 Feb 2100 00:00:00 GMT"));
}
