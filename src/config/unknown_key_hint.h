// Internal to the config loader: what to say about a key that is unknown where it was written
// and close to none of its own mapping's keys. Asked by YamlReader (set_unknown_key_hint).
#pragma once

#include <string>
#include <string_view>

namespace etagd::config {

// The hint to append to "unknown key 'proxy_pass'", or "" for none. `path` is the mapping's
// ("" for the top level, "rules[2]", "timeouts"). In order:
//  - a name nginx or Varnish gives the same thing (proxy_pass, proxy_cache_valid, backend),
//    from one table: "did you mean 'upstream.url'? (nginx's proxy_pass, e.g. ...)";
//  - a key of another block (access_log at the top level is log.access_log);
//  - a rule action outside `defaults:` and `rules:`.
std::string unknown_key_hint(std::string_view path, std::string_view key);

}  // namespace etagd::config
