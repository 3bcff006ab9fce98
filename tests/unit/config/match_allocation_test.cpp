// RuleSet::match runs once per request: it must not allocate. This file replaces the global
// operator new for the whole test binary to count allocations.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "config/rule_set.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// Every non-aligned form is replaced, so that each delete pairs with a counted new (the
// aligned forms keep the library's own pair). Not inlined: GCC would otherwise see malloc'd
// memory reach free through operator delete and warn about a mismatch that is not there.
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
[[gnu::noinline]] void* operator new(std::size_t size) {
  if (void* p = operator new(size, std::nothrow)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) { return operator new(size); }
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return operator new(size, std::nothrow);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace etagd::config {
namespace {

TEST_CASE("matching a request against exact, prefix, glob and host rules allocates nothing") {
  std::vector<Rule> rules;
  for (int i = 0; i < 200; ++i) {
    std::string n = std::to_string(i);
    Rule exact;
    exact.name = "exact" + n;
    exact.match = {http::method_bit(http::Method::Get), "", PathMatchKind::Exact,
                   "/api/items/" + n};  // long enough to defeat the small-string buffer
    rules.push_back(exact);
    Rule prefix;
    prefix.name = "prefix" + n;
    prefix.match = {0, "*.example.com", PathMatchKind::Prefix, "/api/collection-" + n + "/"};
    rules.push_back(prefix);
    Rule glob;
    glob.name = "glob" + n;
    glob.match = {0, "", PathMatchKind::Glob, "/reports/" + n + "/*/export/**"};
    rules.push_back(glob);
  }
  RuleSet set(RuleActions{}, std::move(rules));
  const std::string paths[] = {"/api/items/150", "/api/collection-42/x/y",
                               "/reports/7/q3/export/a.csv", "/nothing/matches/this/path/at/all",
                               "/"};

  int matched = 0;
  long before = g_allocations.load();
  for (int round = 0; round < 100; ++round) {
    for (const std::string& path : paths) {
      RuleMatchResult r = set.match(http::Method::Get, "Tenant.Example.com", path);
      matched += r.rule != nullptr;
    }
  }
  long after = g_allocations.load();
  CHECK(after - before == 0);
  CHECK(matched == 300);

  // The counter itself works. (A direct call: new-expressions may be optimised away.)
  before = g_allocations.load();
  ::operator delete(::operator new(64));
  CHECK(g_allocations.load() - before == 1);
}

}  // namespace
}  // namespace etagd::config
