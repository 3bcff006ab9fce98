#include "config/size_and_duration.h"

#include <doctest/doctest.h>

using etagd::config::parse_duration;
using etagd::config::format_duration;
using etagd::config::format_size;
using etagd::config::format_size_like;
using etagd::config::parse_size;
using std::chrono::milliseconds;

TEST_CASE("durations take ms, s, m, h and d units") {
  CHECK(parse_duration("250ms") == milliseconds(250));
  CHECK(parse_duration("60s") == milliseconds(60'000));
  CHECK(parse_duration("5m") == milliseconds(300'000));
  CHECK(parse_duration("2h") == milliseconds(7'200'000));
  CHECK(parse_duration("1d") == milliseconds(86'400'000));
  CHECK(parse_duration("0s") == milliseconds(0));
  CHECK(parse_duration("0ms") == milliseconds(0));
}

TEST_CASE("a bare integer duration is seconds") {
  CHECK(parse_duration("30") == milliseconds(30'000));
  CHECK(parse_duration("0") == milliseconds(0));
}

TEST_CASE("durations reject fractions, signs, spaces and unknown units") {
  for (const char* bad : {"", "s", "ms", "1.5s", "-1s", "+1s", " 5s", "5s ", "5 s", "5sec", "5S",
                          "5M", "5w", "5y", "0x10", "ten"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("compound durations add up, largest unit first, as nginx reads them") {
  CHECK(parse_duration("1m30s") == milliseconds(90'000));
  CHECK(parse_duration("1h30m") == milliseconds(5'400'000));
  CHECK(parse_duration("1d12h") == milliseconds(129'600'000));
  CHECK(parse_duration("2s500ms") == milliseconds(2'500));
  CHECK(parse_duration("1h2m3s4ms") == milliseconds(3'723'004));
  CHECK(parse_duration("1h 30m") == milliseconds(5'400'000));
  CHECK(parse_duration("0m30s") == milliseconds(30'000));
}

TEST_CASE("compound durations name each unit once, in order, each part with its unit") {
  for (const char* bad : {"30s1m", "1m1m", "1m30", "30 1m", "1h  30m", "1h30m ", "1h,30m",
                          "1h-30m", "1m30x", "ms1m"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("a compound duration whose sum does not fit in milliseconds is an error") {
  CHECK(parse_duration("106751991167d1h").has_value());
  CHECK_FALSE(parse_duration("106751991167d23h").has_value());
  CHECK_FALSE(parse_duration("9223372036854775807ms1ms").has_value());  // repeated unit anyway
  CHECK_FALSE(parse_duration("9223372036854775s807ms1ms").has_value());
}

TEST_CASE("a duration that does not fit in milliseconds is an error, not a wrap-around") {
  CHECK_FALSE(parse_duration("18446744073709551616").has_value());  // 2^64 seconds... and more
  CHECK_FALSE(parse_duration("9223372036854776d").has_value());
  CHECK_FALSE(parse_duration("9223372036854775808ms").has_value());  // 2^63
  CHECK(parse_duration("9223372036854775807ms") == milliseconds(9'223'372'036'854'775'807));
  CHECK(parse_duration("106751991167d").has_value());  // just fits
  CHECK_FALSE(parse_duration("106751991168d").has_value());
}

TEST_CASE("a bare integer size is bytes") {
  CHECK(parse_size("0") == 0u);
  CHECK(parse_size("512") == 512u);
  CHECK(parse_size("512B") == 512u);
}

TEST_CASE("size suffixes are binary, whether written KiB, KB or k") {
  CHECK(parse_size("16KiB") == 16u * 1024);
  CHECK(parse_size("16KB") == 16u * 1024);
  CHECK(parse_size("16k") == 16u * 1024);
  CHECK(parse_size("16K") == 16u * 1024);
  CHECK(parse_size("256MiB") == 256ull * 1024 * 1024);
  CHECK(parse_size("256MB") == 256ull * 1024 * 1024);
  CHECK(parse_size("256m") == 256ull * 1024 * 1024);
  CHECK(parse_size("1GiB") == 1ull << 30);
  CHECK(parse_size("1g") == 1ull << 30);
  CHECK(parse_size("2TiB") == 2ull << 40);
}

TEST_CASE("sizes reject fractions, signs, spaces and unknown units") {
  for (const char* bad : {"", "KiB", "1.5MiB", "-1", "+1", " 1", "1 ", "1 KiB", "1kib", "1Kib",
                          "1PiB", "1b", "0x10", "lots"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_size(bad).has_value());
  }
}

TEST_CASE("a size that does not fit in 64 bits is an error") {
  CHECK(parse_size("18446744073709551615") == 18'446'744'073'709'551'615ull);
  CHECK_FALSE(parse_size("18446744073709551616").has_value());
  CHECK(parse_size("16777215TiB").has_value());           // (2^24 - 1) * 2^40 fits
  CHECK_FALSE(parse_size("16777216TiB").has_value());     // 2^64
  CHECK_FALSE(parse_size("17179869184GiB").has_value());  // 2^34 * 2^30
}

TEST_CASE("durations are shown in the largest unit that states them exactly") {
  CHECK(format_duration(milliseconds(250)) == "250ms");
  CHECK(format_duration(milliseconds(1500)) == "1500ms");
  CHECK(format_duration(milliseconds(60'000)) == "1m");
  CHECK(format_duration(milliseconds(90'000)) == "90s");
  CHECK(format_duration(milliseconds(7'200'000)) == "2h");
  CHECK(format_duration(milliseconds(86'400'000)) == "1d");
  CHECK(format_duration(milliseconds(0)) == "0s");
  CHECK(format_duration(std::chrono::seconds(10)) == "10s");
}

TEST_CASE("sizes are shown in the largest binary unit that states them exactly") {
  CHECK(format_size(256ull << 20) == "256MiB");
  CHECK(format_size(16 << 10) == "16KiB");
  CHECK(format_size(1ull << 30) == "1GiB");
  CHECK(format_size(1000) == "1000");
  CHECK(format_size(1536ull << 10) == "1536KiB");
  CHECK(format_size(0) == "0");
}

TEST_CASE("a size in the unit a setting was written in, when it states the size exactly") {
  CHECK(format_size_like(64ull << 20, "100MiB") == "64MiB");
  CHECK(format_size_like(64ull << 20, "100m") == "64m");
  CHECK(format_size_like(64ull << 20, "1g") == "64MiB");  // not a whole number of GiB
  CHECK(format_size_like(1536, "2048") == "1536");
  CHECK(format_size_like(1536, "2KB") == "1536");
  CHECK(format_size_like(2048, "3KB") == "2KB");
}
