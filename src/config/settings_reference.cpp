#include "config/settings_reference.h"

#include "config/concat.h"
#include "config/rules_loader.h"
#include "config/settings_table.h"

namespace etagd::config {

std::vector<SettingDoc> settings_reference() {
  std::vector<SettingDoc> out;
  const Config defaults;
  for (const SettingsBlock& b : settings_blocks()) {
    for (const Setting<Config>& s : b.settings) {
      SettingDoc d;
      d.section = std::string(b.name);
      d.path = b.path_of(s.name);
      d.type = s.type;
      d.default_text = !s.required.empty()       ? "required"
                       : !s.default_text.empty() ? std::string(s.default_text)
                                                 : value_text(s, defaults);
      d.apply = s.apply;
      d.doc = s.doc;
      out.push_back(std::move(d));
    }
  }
  const ListenerConfig default_listener;
  for (const Setting<ListenerConfig>& s : listener_settings()) {
    SettingDoc d;
    d.section = std::string(kListenerSection);
    d.path = concat(kListenerSection, "[].", s.name);
    d.type = s.type;
    d.default_text = !s.required.empty() ? "required" : value_text(s, default_listener);
    d.apply = s.apply;
    d.doc = s.doc;
    out.push_back(std::move(d));
  }
  const UpstreamTls default_tls;
  for (const Setting<UpstreamTls>& s : upstream_tls_settings()) {
    SettingDoc d;
    d.section = std::string(kUpstreamTlsSection);
    d.path = concat(kUpstreamTlsSection, ".", s.name);
    d.type = s.type;
    d.default_text = !s.default_text.empty() ? std::string(s.default_text) : value_text(s, default_tls);
    d.apply = s.apply;
    d.doc = s.doc;
    out.push_back(std::move(d));
  }
  const RuleActions default_actions;
  for (const Setting<RuleActions>& s : rule_action_settings()) {
    out.push_back({"defaults and rules", std::string(s.name), s.type,
                   value_text(s, default_actions), Apply::Reload, s.doc});
  }
  for (const KeyDoc& k : rule_keys()) {
    out.push_back({"rules", std::string(k.name), std::string(k.type), "", Apply::Reload, k.doc});
  }
  for (const KeyDoc& k : match_keys()) {
    out.push_back(
        {"match", concat("match.", k.name), std::string(k.type), "", Apply::Reload, k.doc});
  }
  return out;
}

namespace {

// Text as roff reads it: a backslash is the escape character, and a line may not start with
// a control character ('.' or '\'').
std::string roff(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";  // a minus or hyphen as typed, not a typographic hyphen
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
  return out;
}

std::string_view section_title(std::string_view section) {
  if (section.empty()) return "TOP LEVEL";
  return section;
}

}  // namespace

std::string render_man_page(std::string_view page_template, std::string_view version) {
  std::string settings;
  std::string current = "\x01";  // no section yet
  for (const SettingDoc& d : settings_reference()) {
    if (d.section != current) {
      current = d.section;
      settings += concat(".SS ", roff(section_title(current)), "\n");
      for (const SettingsBlock& b : settings_blocks()) {
        if (b.name == current) settings += concat(roff(b.doc), ".\n");
      }
      if (current == kListenerSection) settings += concat(roff(kListenerDoc), ".\n");
      if (current == kUpstreamTlsSection) settings += concat(roff(kUpstreamTlsDoc), ".\n");
    }
    std::string facts = roff(d.type);
    if (!d.default_text.empty()) facts += concat("; default \\fB", roff(d.default_text), "\\fR");
    if (d.apply == Apply::Restart) facts += "; restart to change";
    settings += concat(".TP\n\\fB", roff(d.path), "\\fR (", facts, ")\n", roff(d.doc), ".\n");
  }
  std::string page(page_template);
  auto replace = [&](std::string_view marker, std::string_view with) {
    for (size_t at = page.find(marker); at != std::string::npos;
         at = page.find(marker, at + with.size())) {
      page.replace(at, marker.size(), with);
    }
  };
  replace("@SETTINGS@\n", settings);
  replace("@VERSION@", roff(version));
  return page;
}

}  // namespace etagd::config
