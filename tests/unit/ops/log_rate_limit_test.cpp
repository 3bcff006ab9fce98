#include "ops/log_rate_limit.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace etagd::ops {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kStart = 500 * kSecond;  // any point of a monotonic clock

TEST_CASE("a burst of lines is admitted at once, the next ones are refused") {
  LogRateLimit limit(10, kSecond);
  uint64_t suppressed = 99;
  for (int i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(limit.admit(kStart, suppressed));
    CHECK(suppressed == 0);
  }
  suppressed = 99;
  CHECK_FALSE(limit.admit(kStart, suppressed));
  CHECK_FALSE(limit.admit(kStart + kSecond / 2, suppressed));
  CHECK(suppressed == 99);  // untouched while refused
}

TEST_CASE("one token comes back per interval and the first admitted line reports the refusals") {
  LogRateLimit limit(3, kSecond);
  uint64_t suppressed = 0;
  for (int i = 0; i < 3; ++i) REQUIRE(limit.admit(kStart, suppressed));
  for (int i = 0; i < 25; ++i) CHECK_FALSE(limit.admit(kStart + i * 1000, suppressed));

  CHECK(limit.admit(kStart + kSecond, suppressed));
  CHECK(suppressed == 25);
  CHECK_FALSE(limit.admit(kStart + kSecond, suppressed));  // that was the only token
  CHECK(limit.admit(kStart + 2 * kSecond, suppressed));
  CHECK(suppressed == 1);
}

TEST_CASE("a quiet period refills the bucket up to the burst, never beyond") {
  LogRateLimit limit(4, kSecond);
  uint64_t suppressed = 0;
  for (int i = 0; i < 4; ++i) REQUIRE(limit.admit(kStart, suppressed));
  REQUIRE_FALSE(limit.admit(kStart, suppressed));
  int64_t later = kStart + 3600 * kSecond;  // an hour of silence
  int admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += limit.admit(later, suppressed) ? 1 : 0;
  CHECK(admitted == 4);
}

TEST_CASE("the default bucket is ten lines, then one a second") {
  LogRateLimit limit;
  uint64_t suppressed = 0;
  int admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += limit.admit(kStart, suppressed) ? 1 : 0;
  CHECK(admitted == static_cast<int>(kLogBurst));
  CHECK(limit.admit(kStart + kLogIntervalUs, suppressed));
  CHECK(suppressed == 90);
}

TEST_CASE("threads sharing one bucket together get exactly the burst, and every refusal counts") {
  LogRateLimit limit(50, kSecond);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      uint64_t ignored = 0;
      for (int i = 0; i < 1000; ++i) admitted += limit.admit(kStart, ignored) ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(admitted.load() == 50);
  uint64_t suppressed = 0;
  REQUIRE(limit.admit(kStart + kSecond, suppressed));
  CHECK(suppressed == 4000 - 50);
}

}  // namespace
}  // namespace etagd::ops
