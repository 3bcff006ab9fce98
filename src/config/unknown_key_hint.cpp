#include "config/unknown_key_hint.h"

#include <algorithm>
#include <array>
#include <vector>

#include "config/concat.h"
#include "config/rules_loader.h"
#include "config/settings_table.h"

namespace etagd::config {

namespace {

// Where etagd keeps what another server's key sets.
enum class Home {
  Setting,     // a key of a block: `etagd` is its full path ("timeouts.upstream_read")
  RuleAction,  // a rule action, under `defaults:` or in a rule
  RuleMatch,   // a condition of a rule's match ("match.prefix")
};

struct OtherServersKey {
  std::string_view server;  // "nginx"
  std::string_view name;    // "proxy_pass", as its users write it into YAML
  Home home;
  std::string_view etagd;
  std::string_view note;        // what differs, or an example; may be empty
  std::string_view within = {};  // when not empty, the row applies inside this block only
};

// Users who come from nginx or Varnish write the names they know. The first row for a name
// whose `within` holds wins, so a row scoped to a block goes before the general one.
constexpr std::array kOtherServersKeys = {
    OtherServersKey{"nginx", "proxy_pass", Home::Setting, "upstream.url",
                    "e.g. upstream: http://127.0.0.1:9000; several servers: upstream.servers"},
    OtherServersKey{"nginx", "location", Home::RuleMatch, "match.prefix",
                    "a rule per location, the first that matches applies: rules: [{ match: { "
                    "prefix: /api/ }, ttl: 60s }]; `location =` is match.path"},
    OtherServersKey{"nginx", "server_name", Home::RuleMatch, "match.host",
                    "e.g. match: { host: api.example.com } or *.example.com; a rule without a "
                    "host applies to every host"},
    OtherServersKey{"nginx", "proxy_cache", Home::RuleAction, "cache",
                    "cache: store | validate | bypass; there is one cache, sized by "
                    "cache.max_memory"},
    OtherServersKey{"nginx", "proxy_cache_valid", Home::RuleAction, "ttl",
                    "e.g. ttl: { 2xx: 10m, 404: 1m }"},
    OtherServersKey{"nginx", "proxy_cache_key", Home::RuleAction, "key_headers",
                    "the key is always method, host, path and query; key_headers and "
                    "key_cookies add request values to it"},
    OtherServersKey{"nginx", "proxy_cache_use_stale", Home::RuleAction, "stale_if_error",
                    "e.g. stale_if_error: 1h"},
    OtherServersKey{"nginx", "proxy_ignore_headers", Home::RuleAction,
                    "ignore_upstream_cache_control", ""},
    OtherServersKey{"nginx", "proxy_cache_path", Home::Setting, "cache.max_memory",
                    "etagd caches in memory; its max_size is max_memory"},
    OtherServersKey{"nginx", "expires", Home::RuleAction, "cache_control",
                    "what clients are told, e.g. cache_control: \"max-age=3600\"; how long etagd "
                    "keeps a response is ttl"},
    OtherServersKey{"nginx", "add_header", Home::RuleAction, "headers",
                    "e.g. headers: { add: { X-Frame-Options: DENY } }; set replaces a field, "
                    "remove drops one"},
    OtherServersKey{"nginx", "gzip", Home::RuleAction, "compress",
                    "e.g. compress: on (br, zstd and gzip)"},
    OtherServersKey{"nginx", "proxy_set_header", Home::Setting, "upstream.host_header",
                    "for Host; etagd sends X-Forwarded-For, X-Forwarded-Proto and Via itself"},
    OtherServersKey{"nginx", "keepalive", Home::Setting, "upstream.max_idle",
                    "idle connections kept open per worker"},
    OtherServersKey{"nginx", "max_conns", Home::Setting, "upstream.max_connections",
                    "requests in flight to the origin, all workers together", "upstream"},
    OtherServersKey{"nginx", "max_conns", Home::Setting, "limits.max_connections",
                    "client connections, whole process"},
    OtherServersKey{"nginx", "worker_connections", Home::Setting, "limits.max_connections",
                    "client connections, whole process"},
    OtherServersKey{"nginx", "worker_processes", Home::Setting, "workers",
                    "threads of one process here, auto as in nginx"},
    OtherServersKey{"nginx", "client_max_body_size", Home::Setting, "limits.max_request_body",
                    "sizes as nginx writes them work, e.g. 10m"},
    OtherServersKey{"nginx", "large_client_header_buffers", Home::Setting,
                    "limits.max_header_bytes", "one size for the request line and headers"},
    OtherServersKey{"nginx", "proxy_connect_timeout", Home::Setting, "timeouts.upstream_connect",
                    ""},
    OtherServersKey{"nginx", "proxy_read_timeout", Home::Setting, "timeouts.upstream_read", ""},
    OtherServersKey{"nginx", "client_header_timeout", Home::Setting, "timeouts.client_header",
                    ""},
    OtherServersKey{"nginx", "client_body_timeout", Home::Setting, "timeouts.client_body", ""},
    OtherServersKey{"nginx", "keepalive_timeout", Home::Setting, "timeouts.client_idle", ""},
    OtherServersKey{"nginx", "send_timeout", Home::Setting, "timeouts.client_send", ""},
    OtherServersKey{"Varnish", "backend", Home::Setting, "upstream",
                    "e.g. upstream: http://127.0.0.1:9000"},
    OtherServersKey{"Varnish", "beresp.ttl", Home::RuleAction, "ttl", "e.g. ttl: 120s"},
    OtherServersKey{"Varnish", "default_ttl", Home::RuleAction, "ttl",
                    "under `defaults:` for every request"},
    OtherServersKey{"Varnish", "beresp.grace", Home::RuleAction, "stale_while_revalidate", ""},
};

// Whether the mapping at `path` is `block` or inside it ("upstream.servers[0]" is in upstream).
bool is_within(std::string_view path, std::string_view block) {
  if (!path.starts_with(block)) return false;
  return path.size() == block.size() || path[block.size()] == '.' || path[block.size()] == '[';
}

// `defaults` or one rule ("rules[2]"): where rule actions are written.
bool holds_actions(std::string_view path) {
  return path == "defaults" ||
         (path.starts_with("rules[") && path.ends_with("]") &&
          path.find('.') == std::string_view::npos);
}

std::string other_servers_hint(const OtherServersKey& k, std::string_view path) {
  std::string meant;
  std::string where;
  switch (k.home) {
    case Home::Setting: {
      // Named from the mapping it was written in, when it belongs there.
      bool here = !path.empty() && k.etagd.starts_with(path) && k.etagd.size() > path.size() &&
                  k.etagd[path.size()] == '.';
      meant = concat("'", here ? k.etagd.substr(path.size() + 1) : k.etagd, "'");
      break;
    }
    case Home::RuleAction:
      if (holds_actions(path)) {
        meant = concat("'", k.etagd, "'");
      } else {
        meant = concat("the rule action '", k.etagd, "'");
        where = "; put it under `defaults:` for every request, or in a rule";
      }
      break;
    case Home::RuleMatch:
      if (path.ends_with(".match")) {
        meant = concat("'", k.etagd.substr(k.etagd.find('.') + 1), "'");
      } else if (holds_actions(path) && path != "defaults") {
        meant = concat("'", k.etagd, "'");
      } else {
        meant = concat("'", k.etagd, "' in a rule");
      }
      break;
  }
  return concat("did you mean ", meant, "? (", k.server, "'s ", k.name,
                k.note.empty() ? "" : "; ", k.note, where, ")");
}

bool has_key(const SettingsBlock& b, std::string_view key) {
  return std::any_of(b.settings.begin(), b.settings.end(),
                     [&](const Setting<Config>& s) { return s.name == key; });
}

}  // namespace

std::string unknown_key_hint(std::string_view path, std::string_view key) {
  for (const OtherServersKey& k : kOtherServersKeys) {
    if (k.name == key && (k.within.empty() || is_within(path, k.within))) {
      return other_servers_hint(k, path);
    }
  }
  std::vector<std::string> homes;
  for (const SettingsBlock& b : settings_blocks()) {
    if (b.name != path && has_key(b, key) && !(b.name.empty() && path.empty())) {
      homes.push_back(b.path_of(key));
    }
  }
  if (!homes.empty()) {
    std::string list;
    for (const std::string& h : homes) list += concat(list.empty() ? "'" : " or '", h, "'");
    return concat("did you mean ", list, "?");
  }
  if (path.empty() && std::any_of(rule_action_settings().begin(), rule_action_settings().end(),
                                  [&](const Setting<RuleActions>& a) { return a.name == key; })) {
    return concat("'", key, "' is a rule action: put it under `defaults:` for every request, "
                            "or in a rule");
  }
  return "";
}

}  // namespace etagd::config
