#include "ops/process_stats.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace etagd::ops {
namespace {

// A /proc/<pid>/stat line (proc(5)) whose command name holds a space and parentheses; utime
// 250 and stime 150 ticks, starttime 12345 ticks, vsize 104857600, rss 2560 pages.
const std::string kStat =
    "4242 (etagd (w) 1) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 5 0 12345 "
    "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

TEST_CASE("a proc stat line gives CPU seconds, start time, virtual and resident bytes") {
  ProcessStats s;
  REQUIRE(parse_proc_stat(kStat, 100, 4096, 1'700'000'000, s));
  CHECK(s.ok);
  CHECK(s.cpu_seconds == doctest::Approx(4.0));
  CHECK(s.start_time_seconds == doctest::Approx(1'700'000'123.45));
  CHECK(s.virtual_bytes == 104857600);
  CHECK(s.resident_bytes == 2560ull * 4096);
}

TEST_CASE("a truncated or malformed proc stat line is rejected") {
  ProcessStats s;
  CHECK_FALSE(parse_proc_stat("4242 (etagd) S 1 2 3", 100, 4096, 0, s));
  CHECK_FALSE(parse_proc_stat("no parenthesis here", 100, 4096, 0, s));
  std::string bad = kStat;
  bad.replace(bad.find(" 250 "), 5, " x50 ");
  CHECK_FALSE(parse_proc_stat(bad, 100, 4096, 0, s));
  CHECK_FALSE(s.ok);
}

TEST_CASE("this process's own figures are plausible, and an opened file is counted") {
  ProcessStats before = read_process_stats();
  REQUIRE(before.ok);
  CHECK(before.resident_bytes > 0);
  CHECK(before.virtual_bytes >= before.resident_bytes);
  CHECK(before.max_fds >= before.open_fds);
  double now = std::chrono::duration<double>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  CHECK(before.start_time_seconds <= now + 1);
  CHECK(before.start_time_seconds > now - 24 * 3600);

  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  ProcessStats after = read_process_stats();
  ::close(fd);
  CHECK(after.open_fds == before.open_fds + 1);
}

}  // namespace
}  // namespace etagd::ops
