// If-None-Match evaluation (RFC 9110 §13.1.2) against a stored content ETag: the check every
// revalidation makes before etagd answers 304 from the cache.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "http/etag.h"

namespace {

constexpr std::string_view kCurrent = "\"Pwe0hKFCLBPODJMDmK9m1Q\"";

void run(benchmark::State& state, std::string_view field, bool expected) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(field);
    bool match = etagd::http::if_none_match_matches(field, kCurrent);
    benchmark::DoNotOptimize(match);
  }
  if (etagd::http::if_none_match_matches(field, kCurrent) != expected) {
    state.SkipWithError("unexpected If-None-Match result");
  }
}

void BM_IfNoneMatchSingleTag(benchmark::State& state) {
  run(state, "\"Pwe0hKFCLBPODJMDmK9m1Q\"", true);
}
void BM_IfNoneMatchWeakTag(benchmark::State& state) {
  run(state, "W/\"Pwe0hKFCLBPODJMDmK9m1Q\"", true);
}
void BM_IfNoneMatchStar(benchmark::State& state) { run(state, "*", true); }
// A browser or CDN that kept several variants sends them all; the match is the last one.
void BM_IfNoneMatchListOf5LastMatches(benchmark::State& state) {
  run(state,
      "\"aaaaaaaaaaaaaaaaaaaaaa\", W/\"bbbbbbbbbbbbbbbbbbbbbb\", \"cccccccccccccccccccccc\", "
      "\"dddddddddddddddddddddd\", \"Pwe0hKFCLBPODJMDmK9m1Q\"",
      true);
}
void BM_IfNoneMatchNoMatch(benchmark::State& state) {
  run(state, "\"Xwe0hKFCLBPODJMDmK9m1Q\"", false);
}
void BM_IfNoneMatchMalformed(benchmark::State& state) { run(state, "Pwe0hKFCLBPODJ, \"x", false); }

BENCHMARK(BM_IfNoneMatchSingleTag);
BENCHMARK(BM_IfNoneMatchWeakTag);
BENCHMARK(BM_IfNoneMatchStar);
BENCHMARK(BM_IfNoneMatchListOf5LastMatches);
BENCHMARK(BM_IfNoneMatchNoMatch);
BENCHMARK(BM_IfNoneMatchMalformed);

}  // namespace
