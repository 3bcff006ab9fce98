#include "support/prometheus_text.h"

#include <doctest/doctest.h>

#include "support/sanitizer_report.h"

namespace etagd::testing {
namespace {

constexpr const char* kExposition =
    "# HELP etagd_cache_entries Entries in the cache.\n"
    "# TYPE etagd_cache_entries gauge\n"
    "etagd_cache_entries 3\n"
    "etagd_cache_entries_max 10\n"
    "etagd_requests_total{method=\"GET\",status=\"2xx\",cache=\"HIT\"} 42\n"
    "etagd_upstream_seconds_sum 0.125";

TEST_CASE("sample_value reads the sample whose series starts a line") {
  CHECK(sample_value(kExposition, "etagd_cache_entries") == 3);
  CHECK(sample_value(kExposition, "etagd_cache_entries_max") == 10);
  CHECK(sample_value(kExposition,
                     "etagd_requests_total{method=\"GET\",status=\"2xx\",cache=\"HIT\"}") == 42);
  CHECK(sample_value(kExposition, "etagd_upstream_seconds_sum") == 0.125);
}

TEST_CASE("sample_value is empty for an absent series, a prefix of one, or a comment") {
  CHECK_FALSE(sample_value(kExposition, "etagd_cache_bytes").has_value());
  CHECK_FALSE(sample_value(kExposition, "etagd_cache").has_value());
  CHECK_FALSE(sample_value(kExposition, "etagd_requests_total").has_value());
  CHECK_FALSE(sample_value("x{a=\"1\"} not-a-number\n", "x{a=\"1\"}").has_value());
}

TEST_CASE("sanitizer_report finds a report from the start of its line, and nothing in a clean log") {
  CHECK(sanitizer_report("etagd started\nserving\n").empty());
  std::string log = "etagd started\n==123==ERROR: AddressSanitizer: heap-use-after-free\n#0 x\n";
  CHECK(sanitizer_report(log).rfind("==123==ERROR: AddressSanitizer", 0) == 0);
  CHECK(sanitizer_report("a.cpp:3:5: runtime error: signed overflow\n").find("runtime error") !=
        std::string::npos);
}

}  // namespace
}  // namespace etagd::testing
