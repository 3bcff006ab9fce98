#include "config/config_dump.h"

#include "base/json_writer.h"
#include "config/rules_loader.h"
#include "config/settings_table.h"
#include "http/method.h"

namespace etagd::config {

namespace {

using base::JsonWriter;

void write_match(JsonWriter& w, const RuleMatch& m) {
  w.begin_object();
  if (m.methods != 0) {
    w.key("methods").begin_array();
    for (int i = 0; i < http::kMethodCount; ++i) {
      auto method = static_cast<http::Method>(i);
      if ((m.methods & http::method_bit(method)) != 0) w.value(http::method_name(method));
    }
    w.end_array();
  }
  if (!m.host.empty()) w.key("host").value(m.host);
  switch (m.path_kind) {
    case PathMatchKind::Any: break;
    case PathMatchKind::Exact: w.key("path").value(m.path); break;
    case PathMatchKind::Prefix: w.key("prefix").value(m.path); break;
    case PathMatchKind::Glob: w.key("glob").value(m.path); break;
  }
  w.end_object();
}

void write_actions(JsonWriter& w, const RuleActions& a) {
  for (const Setting<RuleActions>& row : rule_action_settings()) {
    w.key(row.name);
    row.write(w, a);
  }
}

void write_settings(JsonWriter& w, const SettingsBlock& b, const Config& c) {
  for (const Setting<Config>& s : b.settings) {
    w.key(s.name);
    s.write(w, c);
  }
}

}  // namespace

std::string dump_config(const Config& c) {
  JsonWriter w(/*pretty=*/true);
  w.begin_object();
  w.key("source").value(c.source_path);
  // What the file says and the process cannot apply until it restarts; the values above are
  // the ones running. Each value is written as its key's running value is, not as a string.
  w.key("pending_restart").begin_object();
  for (const PendingRestart& p : c.pending_restart) w.key(p.key).encoded(p.file_json);
  w.end_object();
  for (const SettingsBlock& b : settings_blocks()) {
    if (b.name.empty()) {
      write_settings(w, b, c);
      continue;
    }
    w.key(b.name);
    // `admin: off` / `fleet: off` as the file writes them, or the block.
    if (b.enabled && !(*b.enabled)(c)) {
      w.value("off");
      continue;
    }
    w.begin_object();
    write_settings(w, b, c);
    w.end_object();
  }

  w.key("defaults").begin_object();
  write_actions(w, c.rules.defaults());
  w.end_object();

  w.key("rules").begin_array();
  for (const Rule& r : c.rules.rules()) {
    w.begin_object();
    w.key("name").value(r.name);
    w.key("line").value(r.line);
    w.key("match");
    write_match(w, r.match);
    write_actions(w, r.actions);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace etagd::config
