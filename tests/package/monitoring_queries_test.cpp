// The Grafana dashboard and the Prometheus alerting rules in conf/monitoring query only metrics
// that etagd exports: the names come from the /metrics of a real etagd, never from a list kept
// by hand, so renaming a metric without updating the operator kit fails here.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/scripted_origin.h"

using namespace etagd::testing;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read ", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string monitoring_file(const std::string& name) {
  return read_file(std::string(ETAGD_SOURCE_DIR) + "/conf/monitoring/" + name);
}

// Every series name a scrape can hold: each sample's name, and for each `# TYPE` line the
// family's name, plus _bucket/_sum/_count for histograms and _sum/_count for summaries (a
// labelled counter nobody has touched yet has a TYPE line and no sample).
std::set<std::string> exported_names(const std::string& exposition) {
  std::set<std::string> names;
  std::istringstream lines(exposition);
  std::string line;
  static const std::regex type_line(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$)");
  static const std::regex sample_line(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ])");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, type_line)) {
      std::string name = m[1];
      names.insert(name);
      if (m[2] == "histogram") names.insert({name + "_bucket", name + "_sum", name + "_count"});
      if (m[2] == "summary") names.insert({name + "_sum", name + "_count"});
    } else if (std::regex_search(line, m, sample_line)) {
      names.insert(m[1]);
    }
  }
  return names;
}

// The metric names a file refers to: etagd's own (etagd_*) and the process collector's
// (process_*). Other names (such as Prometheus's own `up`) are not etagd's to export.
std::set<std::string> referenced_names(const std::string& text) {
  std::set<std::string> names;
  static const std::regex name(R"(\b(?:etagd|process)_[a-zA-Z0-9_:]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

struct RunningEtagd {
  ScriptedOrigin origin;
  uint16_t port = free_port();
  uint16_t admin_port = free_port();
  EtagdProcess etagd{"listen: [\"127.0.0.1:" + std::to_string(port) + "\"]\n" +
                         "upstream: { url: \"http://127.0.0.1:" + std::to_string(origin.port()) +
                         "\" }\nworkers: 1\nadmin: { listen: \"127.0.0.1:" +
                         std::to_string(admin_port) + "\" }\n",
                     port};

  std::set<std::string> scrape() {
    etagd.wait_ready();
    etagd.wait_listening(admin_port);
    HttpResponse r = http_get(admin_port, "/metrics");
    REQUIRE(r.status == 200);
    std::set<std::string> names = exported_names(r.body);
    REQUIRE_MESSAGE(names.count("etagd_requests_total") == 1, r.body);
    return names;
  }
};

void check_every_name_is_exported(const std::string& file) {
  RunningEtagd running;
  std::set<std::string> exported = running.scrape();
  std::set<std::string> referenced = referenced_names(monitoring_file(file));
  REQUIRE_MESSAGE(referenced.size() >= 5, file, " names almost no metric: is the pattern right?");
  for (const std::string& name : referenced) {
    CHECK_MESSAGE(exported.count(name) == 1, file, " queries ", name,
                  ", which a running etagd does not export");
  }
}

}  // namespace

TEST_CASE("every metric the Grafana dashboard queries is one a running etagd exports") {
  check_every_name_is_exported("etagd-dashboard.json");
}

TEST_CASE("every metric the Prometheus alerting rules query is one a running etagd exports") {
  check_every_name_is_exported("etagd-alerts.yaml");
}
