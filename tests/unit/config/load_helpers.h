// Shared by the config tests: load YAML text and look for a diagnostic by its printed form.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/config_loader.h"

namespace etagd::config::test {

// The two keys every config needs, for tests about everything else.
inline constexpr std::string_view kMinimal =
    "listen: 127.0.0.1:8080\n"
    "upstream: { url: http://127.0.0.1:9000 }\n";

inline LoadResult load(std::string_view yaml) { return load_config_text(yaml, "test.yaml"); }

inline LoadResult load_with_minimal(std::string_view rest) {
  return load(std::string(kMinimal) + std::string(rest));
}

// Every diagnostic printed, one per line, for failure messages.
inline std::string printed(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.to_string() + "\n";
  return out;
}

// True if some diagnostic prints as a line containing `expected`
// (e.g. "test.yaml:4:11: error: rules[0].match.path: ").
inline bool reports(const LoadResult& r, std::string_view expected) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.to_string().find(expected) != std::string::npos) return true;
  }
  return false;
}

// The config `yaml` gives; fails the test, printing the diagnostics, when it has errors.
inline std::shared_ptr<Config> must_load(std::string_view yaml) {
  LoadResult r = load(yaml);
  INFO(printed(r));
  REQUIRE(r.ok());
  return r.config;
}

// The config is rejected and one of its diagnostics prints as a line containing `expected`.
inline void require_error(const LoadResult& r, std::string_view expected) {
  INFO(printed(r));
  CHECK_FALSE(r.ok());
  CHECK(reports(r, expected));
}

inline size_t count_errors(const LoadResult& r) {
  size_t n = 0;
  for (const Diagnostic& d : r.diagnostics) n += d.severity == Diagnostic::Severity::Error;
  return n;
}

inline size_t count_warnings(const LoadResult& r) { return r.diagnostics.size() - count_errors(r); }

}  // namespace etagd::config::test
