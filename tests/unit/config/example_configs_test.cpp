// The shipped configs are documentation: each must load without an error or a warning.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config_loader.h"

namespace etagd::config {
namespace {

namespace fs = std::filesystem;
using http::Method;

std::vector<fs::path> shipped_configs() {
  std::vector<fs::path> files;
  for (const char* dir : {"conf", "conf/examples"}) {
    fs::path p = fs::path(ETAGD_SOURCE_DIR) / dir;
    if (!fs::is_directory(p)) continue;
    for (const auto& entry : fs::directory_iterator(p)) {
      std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
        files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string printed(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.to_string() + "\n";
  return out;
}

TEST_CASE("every config in conf/ and conf/examples/ loads with no error and no warning") {
  std::vector<fs::path> files = shipped_configs();
  REQUIRE(files.size() >= 4);  // etagd.yaml and the three examples at least
  for (const fs::path& file : files) {
    CAPTURE(file.string());
    LoadResult r = load_config_file(file.string());
    INFO(printed(r));
    CHECK(r.ok());
    CHECK(r.diagnostics.empty());
  }
}

TEST_CASE("conf/etagd.yaml implements the documented /api/ policy") {
  LoadResult r = load_config_file(std::string(ETAGD_SOURCE_DIR) + "/conf/etagd.yaml");
  INFO(printed(r));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  REQUIRE(c.listen.size() == 1);
  CHECK(c.listen[0].address.text == "127.0.0.1:8080");
  CHECK(c.upstream.host == "127.0.0.1");
  CHECK(c.upstream.port == 9000);

  for (Method m : {Method::Get, Method::Head}) {
    const RuleActions& a = *c.rules.match(m, "localhost", "/api/items/42").actions;
    CHECK(a.cache == CacheMode::Store);
    CHECK_FALSE(a.ttl.from_origin);
    CHECK(a.ttl.value == std::chrono::seconds(60));
    CHECK(a.key_headers == std::vector<std::string>{"authorization"});
    REQUIRE(a.cache_control.for_status(200) != nullptr);
    CHECK(*a.cache_control.for_status(200) == "max-age=60, must-revalidate");
    CHECK(*a.cache_control.for_status(304) == "max-age=60, must-revalidate");
  }
  for (Method m : {Method::Post, Method::Put, Method::Patch, Method::Delete}) {
    const RuleActions& a = *c.rules.match(m, "localhost", "/api/items/42").actions;
    CHECK(a.cache == CacheMode::Bypass);
    REQUIRE(a.cache_control.for_status(201) != nullptr);
    CHECK(*a.cache_control.for_status(201) == "no-cache, no-store, must-revalidate");
    CHECK(*a.cache_control.for_status(500) == "no-cache, no-store, must-revalidate");
    bool parent = false, path = false;
    for (const InvalidateTarget& t : a.invalidate) {
      parent |= t.kind == InvalidateTarget::Kind::Parent;
      path |= t.kind == InvalidateTarget::Kind::Path;
    }
    CHECK(parent);
    CHECK(path);
  }
  // Server and X-Powered-By go everywhere, /api/ or not.
  for (const char* target : {"/api/items", "/index.html"}) {
    const RuleActions& a = *c.rules.match(Method::Get, "localhost", target).actions;
    CHECK(std::find(a.headers.remove.begin(), a.headers.remove.end(), "Server") !=
          a.headers.remove.end());
    CHECK(std::find(a.headers.remove.begin(), a.headers.remove.end(), "X-Powered-By") !=
          a.headers.remove.end());
  }
}

}  // namespace
}  // namespace etagd::config
