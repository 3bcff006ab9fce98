// Rule matching (config/rule_set.h) with 10 and 1,000 rules, through a config loaded the way
// etagd loads its file. Arguments: rule count, and whether one rule in ten is a glob (the rest
// alternate exact paths and prefixes). Each request hits a rule near the END of the list, the
// worst place for a first-match scan. Exact paths and prefixes are indexed; globs (and rules
// without a path) are tried in order, so with globs the cost grows with the glob count, and
// without them it should not grow with the rule count at all.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "config/config_loader.h"
#include "http/method.h"

namespace {

using etagd::config::Config;
using etagd::http::Method;

bool is_glob(int i, bool with_globs) { return with_globs && (i % 10 == 9); }

std::string config_text(int rules, bool with_globs) {
  std::string yaml =
      "listen: 127.0.0.1:8080\n"
      "upstream:\n  url: http://127.0.0.1:9000\n"
      "rules:\n";
  for (int i = 0; i < rules; ++i) {
    std::string n = std::to_string(i);
    if (is_glob(i, with_globs)) {
      yaml += "  - match: { methods: [GET, HEAD], glob: \"/api/g" + n + "/*/export\" }\n";
      yaml += "    cache: bypass\n";
    } else if (i % 2 == 0) {
      yaml += "  - match: { methods: [GET, HEAD], path: /api/v1/exact" + n + " }\n";
      yaml += "    ttl: 30s\n";
    } else {
      yaml += "  - match: { prefix: /api/v1/prefix" + n + "/ }\n";
      yaml += "    cache: validate\n";
    }
  }
  return yaml;
}

std::shared_ptr<const Config> load(int rules, bool with_globs) {
  etagd::config::LoadResult r =
      etagd::config::load_config_text(config_text(rules, with_globs), "bench.yaml");
  if (!r.ok()) {
    for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
  }
  return r.config;
}

// Index of the last rule of a kind (glob, or exact/prefix by parity): the expected match.
int last_of(const benchmark::State& state, bool glob, int parity) {
  bool with_globs = state.range(1) != 0;
  for (int i = static_cast<int>(state.range(0)) - 1; i >= 0; --i) {
    if (is_glob(i, with_globs) == glob && (glob || i % 2 == parity)) return i;
  }
  return -1;
}

void run(benchmark::State& state, std::string_view path, int expected_rule) {
  std::shared_ptr<const Config> config =
      load(static_cast<int>(state.range(0)), state.range(1) != 0);
  if (!config) {
    state.SkipWithError("config did not load");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(path);
    auto m = config->rules.match(Method::Get, "api.example.com", path);
    benchmark::DoNotOptimize(m);
  }
  auto m = config->rules.match(Method::Get, "api.example.com", path);
  int got = m.rule ? static_cast<int>(m.rule - config->rules.rules().data()) : -1;
  if (got != expected_rule) state.SkipWithError("matched an unexpected rule");
}

void BM_RuleMatchExact(benchmark::State& state) {
  int i = last_of(state, false, 0);
  run(state, "/api/v1/exact" + std::to_string(i), i);
}
void BM_RuleMatchPrefix(benchmark::State& state) {
  int i = last_of(state, false, 1);
  run(state, "/api/v1/prefix" + std::to_string(i) + "/items/42", i);
}
void BM_RuleMatchGlob(benchmark::State& state) {
  int i = last_of(state, true, 0);
  run(state, "/api/g" + std::to_string(i) + "/reports/export", i);
}
void BM_RuleMatchNone(benchmark::State& state) { run(state, "/static/app.js", -1); }

// Args: {rules, globs (0 = none, 1 = one rule in ten)}.
BENCHMARK(BM_RuleMatchExact)->ArgsProduct({{10, 1000}, {0, 1}});
BENCHMARK(BM_RuleMatchPrefix)->ArgsProduct({{10, 1000}, {0, 1}});
BENCHMARK(BM_RuleMatchGlob)->Args({10, 1})->Args({1000, 1});
BENCHMARK(BM_RuleMatchNone)->ArgsProduct({{10, 1000}, {0, 1}});

}  // namespace
