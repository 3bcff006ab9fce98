// Fuzz target: the YAML config loader (src/config/config_loader.h), and the rule index of a
// config it accepts. An operator's typo, a truncated file or a file that is not YAML at all
// must give diagnostics that point at a line, never an exception or a crash (SIGHUP reloads
// run this inside the live process). A config that loads must be usable as is: its rule
// index answers exactly like a linear walk over the rules in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_loader.h"
#include "config/rule_set.h"
#include "fuzz_check.h"
#include "http/method.h"

using etagd::config::Diagnostic;
using etagd::config::PathMatchKind;
using etagd::config::Rule;
using etagd::config::RuleMatch;

namespace {

constexpr const char* kFileName = "fuzz.yaml";

bool path_fits(const RuleMatch& m, std::string_view path) {
  switch (m.path_kind) {
    case PathMatchKind::Any:
      return true;
    case PathMatchKind::Exact:
      return path == m.path;
    case PathMatchKind::Prefix:
      return path.starts_with(m.path);
    case PathMatchKind::Glob:
      return etagd::config::glob_match(m.path, path);
  }
  return false;
}

bool fits(const RuleMatch& m, etagd::http::Method method, std::string_view host,
          std::string_view path) {
  bool method_ok = m.methods == 0 || (m.methods & etagd::http::method_bit(method)) != 0;
  return method_ok && etagd::config::host_matches(m.host, host) && path_fits(m, path);
}

// The rule set's indexed lookup against the definition: the first rule that fits.
void check_rule_index(const etagd::config::RuleSet& rules) {
  std::vector<std::string> paths = {"/", "", "/a", "/a/b.html"};
  std::vector<std::string> hosts = {"", "example.com", "a.example.com"};
  for (const Rule& r : rules.rules()) {
    if (paths.size() > 64) break;
    std::string_view p = r.match.path;
    paths.emplace_back(p);
    paths.push_back(std::string(p) + "/x");
    paths.push_back(std::string(p) + "x.html");
    if (!p.empty()) paths.emplace_back(p.substr(0, p.size() - 1));
    hosts.push_back(r.match.host);
    hosts.push_back("sub." + r.match.host + ".");
  }
  if (hosts.size() > 16) hosts.resize(16);
  for (etagd::http::Method method : {etagd::http::Method::Get, etagd::http::Method::Post}) {
    for (const std::string& host : hosts) {
      for (const std::string& path : paths) {
        const Rule* expected = nullptr;
        for (const Rule& r : rules.rules()) {
          if (fits(r.match, method, host, path)) {
            expected = &r;
            break;
          }
        }
        etagd::config::RuleMatchResult got = rules.match(method, host, path);
        FUZZ_CHECK(got.rule == expected);
        FUZZ_CHECK(got.actions == (expected ? &expected->actions : &rules.defaults()));
      }
    }
  }
  // match_covers() is what the loader warns "never applies" from: it must never be wrong.
  const auto& all = rules.rules();
  for (size_t i = 0; i < all.size() && i < 16; ++i) {
    for (size_t j = i + 1; j < all.size() && j < 16; ++j) {
      if (!etagd::config::match_covers(all[i].match, all[j].match)) continue;
      for (const std::string& host : hosts) {
        for (const std::string& path : paths) {
          for (auto m : {etagd::http::Method::Get, etagd::http::Method::Post}) {
            if (fits(all[j].match, m, host, path)) FUZZ_CHECK(fits(all[i].match, m, host, path));
          }
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Uncaught exceptions end the process, and libFuzzer reports them as crashes: no try here.
  etagd::config::LoadResult result = etagd::config::load_config_text(text, kFileName);

  bool errors = false;
  for (const Diagnostic& d : result.diagnostics) {
    errors = errors || d.severity == Diagnostic::Severity::Error;
    FUZZ_CHECK(d.file == kFileName);
    FUZZ_CHECK(!d.message.empty());
    if (!text.empty()) FUZZ_CHECK(d.line > 0 && d.column > 0);
    FUZZ_CHECK(d.to_string().starts_with(kFileName));
  }
  FUZZ_CHECK(result.ok() == !errors);
  if (!result.ok()) {
    FUZZ_CHECK(errors);  // a refused config says why
    return 0;
  }
  etagd::config::Config& config = *result.config;
  FUZZ_CHECK(!config.listen.empty());
  FUZZ_CHECK(config.cache.shards > 0 && (config.cache.shards & (config.cache.shards - 1)) == 0);
  // Reloading a config onto itself leaves nothing waiting for a restart.
  etagd::config::keep_running_settings(config, config);
  FUZZ_CHECK(config.pending_restart.empty());
  check_rule_index(config.rules);
  return 0;
}
