#include "config/config_loader.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "config/concat.h"
#include "config/host_port.h"
#include "config/rules_loader.h"
#include "config/size_and_duration.h"
#include "config/yaml_reader.h"
#include "config/yaml_syntax_error.h"
#include "http/hop_by_hop.h"
#include "http/token.h"

namespace etagd::config {

namespace {

constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();

const std::vector<std::string_view> kTopLevelKeys = {
    "listen", "upstream", "trusted_proxies", "workers", "timeouts", "limits",
    "cache",  "log",      "admin",           "fleet",   "defaults", "rules"};
const std::vector<std::string_view> kUpstreamKeys = {"url", "host_header", "max_idle",
                                                     "idle_timeout", "forwarded"};
const std::vector<std::string_view> kTimeoutsKeys = {
    "client_header",    "client_body",   "client_idle", "client_send",
    "upstream_connect", "upstream_read", "shutdown"};
const std::vector<std::string_view> kLimitsKeys = {"max_header_bytes", "max_headers",
                                                   "max_request_body", "max_connections"};
const std::vector<std::string_view> kCacheKeys = {"max_memory", "max_object_size", "shards",
                                                  "status_header", "coalesce_timeout"};
const std::vector<std::string_view> kLogKeys = {"level", "error_log", "access_log",
                                                "access_format"};
const std::vector<std::string_view> kAdminKeys = {"listen"};
const std::vector<std::string_view> kFleetKeys = {"redis",         "channel",       "instance_id",
                                                  "reconnect_min", "reconnect_max", "max_staleness"};

struct Block {
  std::string_view name;
  const std::vector<std::string_view>* keys;
};
const std::vector<Block> kBlocks = {{"upstream", &kUpstreamKeys}, {"timeouts", &kTimeoutsKeys},
                                    {"limits", &kLimitsKeys},     {"cache", &kCacheKeys},
                                    {"log", &kLogKeys},           {"admin", &kAdminKeys},
                                    {"fleet", &kFleetKeys}};

bool has(const std::vector<std::string_view>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Where a key that is unknown where it was written is meant to go: a key of another block
// (`access_log` at the top level is `log.access_log`), or a name other servers use.
std::string unknown_key_hint(std::string_view path, std::string_view key) {
  if (path == "upstream" && (key == "max_connections" || key == "max_conns")) {
    return "etagd has no limit on connections to the upstream yet; upstream.max_idle is how many "
           "idle connections each worker keeps open, and limits.max_connections limits client "
           "connections";
  }
  if (key == "max_conns" || key == "worker_connections") {
    return path == "limits"
               ? "did you mean 'max_connections'?"
               : "did you mean 'limits.max_connections'? (client connections, whole process)";
  }
  std::vector<std::string> homes;
  if (!path.empty() && has(kTopLevelKeys, key)) homes.emplace_back(key);
  for (const Block& b : kBlocks) {
    if (b.name != path && has(*b.keys, key)) homes.push_back(concat(b.name, ".", key));
  }
  if (!homes.empty()) {
    std::string list;
    for (const std::string& h : homes) list += concat(list.empty() ? "'" : " or '", h, "'");
    return concat("did you mean ", list, "?");
  }
  if (path.empty() && has(rule_action_keys(), key)) {
    return concat("'", key, "' is a rule action: put it under `defaults:` for every request, "
                            "or in a rule");
  }
  return "";
}

// One top-level block. Each function reads the keys present over the defaults already in
// `out`, so a block that is absent or partly written keeps the built-in values.
class SettingsLoader {
 public:
  explicit SettingsLoader(YamlReader& r) : r_(r) {}

  void read_listen(const Field& f, std::vector<ListenAddress>& out);
  void read_upstream(const Field& f, UpstreamConfig& out);
  void read_trusted_proxies(const Field& f, std::vector<IpNetwork>& out);
  void read_workers(const Field& f, uint32_t& out);
  void read_timeouts(const Field& f, Timeouts& out);
  void read_limits(const Field& f, Limits& out);
  void read_cache(const Field& f, CacheConfig& out);
  void read_log(const Field& f, LogConfig& out);
  void read_admin(const Field& f, AdminConfig& out);
  void read_fleet(const Field& f, FleetConfig& out);

 private:
  std::optional<ListenAddress> address(const Field& f, std::optional<uint16_t> default_port);
  void read_upstream_url(const Field& f, UpstreamConfig& out);
  void positive_duration(const YamlReader::Section& s, std::string_view key, Duration& out);
  void log_destination(const YamlReader::Section& s, std::string_view key, bool allow_off,
                       std::string& out);
  // `admin: off`: true when `f` is a scalar that switches a block off.
  bool switched_off(const Field& f);

  YamlReader& r_;
};

std::optional<ListenAddress> SettingsLoader::address(const Field& f,
                                                     std::optional<uint16_t> default_port) {
  std::optional<std::string> text = r_.string(f);
  if (!text) return std::nullopt;
  std::string problem;
  std::optional<ListenAddress> a = parse_host_port(*text, default_port, problem);
  if (!a) r_.error(f, problem);
  return a;
}

void SettingsLoader::positive_duration(const YamlReader::Section& s, std::string_view key,
                                       Duration& out) {
  const Field* f = s.find(key);
  if (f == nullptr) return;
  std::optional<Duration> d = r_.duration(*f);
  if (!d) return;
  if (d->count() == 0) {
    r_.error(*f, "must be longer than 0");
    return;
  }
  out = *d;
}

bool SettingsLoader::switched_off(const Field& f) { return YamlReader::is_off(f); }

void SettingsLoader::read_listen(const Field& f, std::vector<ListenAddress>& out) {
  auto items = r_.list(f);
  if (!items) return;
  if (items->empty()) r_.error(f, "needs at least one host:port to accept clients on");
  for (const Field& item : *items) {
    std::vector<ListenAddress> addresses;
    if (item.node.IsScalar() && is_bare_port(item.node.Scalar())) {
      // `listen: 8080` as nginx reads it: every address of the machine, in each family it has.
      std::string problem;
      std::string port = item.node.Scalar();
      std::optional<ListenAddress> v4 = parse_host_port(concat("0.0.0.0:", port), {}, problem);
      if (!v4) {
        r_.error(item, problem);
        continue;
      }
      addresses.push_back(std::move(*v4));
      if (ipv6_available()) addresses.push_back(*parse_host_port(concat("[::]:", port), {}, problem));
    } else if (std::optional<ListenAddress> a = address(item, std::nullopt)) {
      addresses.push_back(std::move(*a));
    }
    for (ListenAddress& a : addresses) {
      bool duplicate = std::any_of(out.begin(), out.end(), [&](const ListenAddress& other) {
        return other.host == a.host && other.port == a.port;
      });
      if (duplicate) {
        r_.error(item, concat("'", a.text, "' is listed twice"));
        continue;
      }
      out.push_back(std::move(a));
    }
  }
}

void SettingsLoader::read_trusted_proxies(const Field& f, std::vector<IpNetwork>& out) {
  auto items = r_.list(f);
  if (!items) return;
  for (const Field& item : *items) {
    std::optional<std::string> text = r_.string(item);
    if (!text) continue;
    std::string problem;
    std::optional<IpNetwork> net = parse_ip_network(*text, problem);
    if (!net) {
      r_.error(item, problem);
      continue;
    }
    if (std::find(out.begin(), out.end(), *net) != out.end()) {
      r_.error(item, concat("'", *text, "' is listed twice"));
      continue;
    }
    if (net->prefix_length == 0 || (net->is_ipv4() && net->prefix_length == 96)) {
      r_.warning(item, concat("'", *text, "' trusts every ", net->is_ipv4() ? "IPv4" : "IPv6",
                              " peer: any client can then choose the client address and "
                              "X-Forwarded-Proto etagd passes on; list only the proxies in front "
                              "of etagd"));
    }
    out.push_back(*net);
  }
}

void SettingsLoader::read_upstream(const Field& f, UpstreamConfig& out) {
  // `upstream: http://127.0.0.1:9000` is short for `upstream: { url: http://127.0.0.1:9000 }`.
  if (f.node.IsScalar()) {
    read_upstream_url(f, out);
    return;
  }
  if (f.node.IsSequence()) {
    std::string first = f.node.size() > 0 && f.node[0].IsScalar() ? f.node[0].Scalar()
                                                                   : "http://10.0.0.7:9000";
    r_.error(f, concat("etagd forwards to one upstream server: write upstream: ", first,
                       " (several servers, with load balancing between them, are planned under "
                       "upstream.servers)"));
    return;
  }
  YamlReader::Section s = r_.section(f, kUpstreamKeys);
  if (!s.is_map()) return;

  if (const Field* uf = s.find("url")) {
    read_upstream_url(*uf, out);
  } else {
    r_.error(f, "upstream needs a url, e.g. url: http://127.0.0.1:9000");
  }

  if (const Field* hf = s.find("host_header")) {
    if (std::optional<std::string> v = r_.string(*hf)) {
      if (*v == "forward") {
        out.host_header = HostHeader::Forward;
      } else if (*v == "upstream") {
        out.host_header = HostHeader::Upstream;
      } else {
        // A literal goes on the wire as the Host field: it must be a valid authority
        // (RFC 9110 §7.2), never anything that could end the line.
        std::string problem;
        if (parse_host_port(*v, uint16_t{80}, problem)) {
          out.host_header = HostHeader::Fixed;
          out.fixed_host = *v;
        } else {
          r_.error(*hf, concat("expected forward, upstream or a host[:port] to send; ", problem));
        }
      }
    }
  }
  if (const Field* mf = s.find("max_idle")) {
    if (auto n = r_.integer(*mf, 0, 100'000)) out.max_idle = static_cast<uint32_t>(*n);
  }
  positive_duration(s, "idle_timeout", out.idle_timeout);
  if (const Field* v = s.find("forwarded")) {
    if (YamlReader::is_off(*v)) {
      out.forwarded = ForwardedHeader::Off;
    } else if (auto w = r_.choice<ForwardedHeader>(*v, {{"rfc7239", ForwardedHeader::Rfc7239},
                                                        {"off", ForwardedHeader::Off}})) {
      out.forwarded = *w;
    }
  }
}

void SettingsLoader::read_upstream_url(const Field& uf, UpstreamConfig& out) {
  std::optional<std::string> url = r_.string(uf);
  if (!url) return;
  std::string_view rest = *url;
  constexpr std::string_view kScheme = "http://";
  if (http::istarts_with(rest, "https://")) {
    r_.error(uf,
             "only http:// upstreams are supported; etagd speaks plain HTTP/1.1 to its origin "
             "(terminate TLS in front of etagd, not behind it)");
    return;
  }
  if (!http::istarts_with(rest, kScheme)) {
    r_.error(uf, concat("'", *url, "' is not an http:// URL, e.g. http://127.0.0.1:9000"));
    return;
  }
  rest.remove_prefix(kScheme.size());
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? "" : rest.substr(end);
  std::string problem;
  std::optional<ListenAddress> a;
  if (authority.find('@') != std::string_view::npos) {
    problem = "credentials in the URL are not supported";
  } else if (path.find_first_of("?#") != std::string_view::npos) {
    problem = "the upstream URL cannot have a query or fragment, only a base path";
  } else if (std::any_of(path.begin(), path.end(), [](char c) {
               return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
             })) {
    problem = "the base path cannot contain spaces or control characters";
  } else {
    a = parse_host_port(authority, uint16_t{80}, problem);
  }
  if (!a) {
    r_.error(uf, problem);
    return;
  }
  out.url = *url;
  out.host = a->host;
  out.port = a->port;
  bool ipv6 = a->host.find(':') != std::string::npos;
  out.authority = ipv6 ? concat("[", a->host, "]") : a->host;
  if (a->port != 80) out.authority += concat(":", std::to_string(a->port));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.base_path = std::string(path);
}

void SettingsLoader::read_workers(const Field& f, uint32_t& out) {
  if (f.node.IsScalar() && f.node.Scalar() == "auto") {
    out = 0;
    return;
  }
  if (f.node.IsScalar() && f.node.Scalar().find_first_not_of("0123456789") != std::string::npos) {
    r_.error(
        f, concat("expected `auto` or a number of worker threads, found '", f.node.Scalar(), "'"));
    return;
  }
  if (auto n = r_.integer(f, 1, 1024)) out = static_cast<uint32_t>(*n);
}

void SettingsLoader::read_timeouts(const Field& f, Timeouts& out) {
  YamlReader::Section s = r_.section(f, kTimeoutsKeys);
  if (!s.is_map()) return;
  positive_duration(s, "client_header", out.client_header);
  positive_duration(s, "client_body", out.client_body);
  positive_duration(s, "client_idle", out.client_idle);
  positive_duration(s, "client_send", out.client_send);
  positive_duration(s, "upstream_connect", out.upstream_connect);
  positive_duration(s, "upstream_read", out.upstream_read);
  // 0 is meaningful here: stop at once, dropping whatever is in flight.
  if (const Field* sf = s.find("shutdown")) {
    if (auto d = r_.duration(*sf)) out.shutdown = *d;
  }
}

void SettingsLoader::read_limits(const Field& f, Limits& out) {
  YamlReader::Section s = r_.section(f, kLimitsKeys);
  if (!s.is_map()) return;
  if (const Field* v = s.find("max_header_bytes")) {
    // Below 1 KiB even an ordinary browser request would get 431.
    if (auto n = r_.size(*v)) {
      if (*n < 1024) {
        r_.error(*v, "must be at least 1KiB");
      } else {
        out.max_header_bytes = *n;
      }
    }
  }
  if (const Field* v = s.find("max_headers")) {
    if (auto n = r_.integer(*v, 1, 10'000)) out.max_headers = static_cast<uint32_t>(*n);
  }
  if (const Field* v = s.find("max_request_body")) {
    if (auto n = r_.size(*v)) out.max_request_body = *n;
  }
  if (const Field* v = s.find("max_connections")) {
    if (auto n = r_.integer(*v, 1, kU32Max)) out.max_connections = static_cast<uint32_t>(*n);
  }
}

void SettingsLoader::read_cache(const Field& f, CacheConfig& out) {
  YamlReader::Section s = r_.section(f, kCacheKeys);
  if (!s.is_map()) return;
  if (const Field* v = s.find("max_memory")) {
    if (auto n = r_.size(*v)) out.max_memory = *n;
  }
  if (const Field* v = s.find("max_object_size")) {
    if (auto n = r_.size(*v)) {
      if (*n > CacheConfig::kMaxObjectSizeLimit) {
        r_.error(*v, "must be at most 1GiB (a stored body is held in memory whole)");
      } else {
        out.max_object_size = *n;
      }
    }
  }
  if (const Field* v = s.find("shards")) {
    if (auto n = r_.integer(*v, 1, 4096)) {
      // The shard is picked by masking the key hash.
      if ((*n & (*n - 1)) != 0) {
        r_.error(*v, concat(std::to_string(*n), " is not a power of two (1, 2, 4, ... 4096)"));
      } else {
        out.shards = static_cast<uint32_t>(*n);
      }
    }
  }
  if (const Field* v = s.find("status_header")) {
    if (std::optional<std::string> name = r_.string(*v)) {
      if (YamlReader::is_off_word(*name)) {
        out.status_header.clear();
      } else if (YamlReader::is_on_word(*name)) {
        r_.error(*v, concat("expected a header name such as X-Cache, or off; found '", *name, "'"));
      } else if (!http::is_token(*name)) {
        r_.error(*v, concat("'", *name, "' is not a valid header field name (RFC 9110 §5.1)"));
      } else if (http::is_hop_by_hop(*name)) {
        r_.error(*v, concat("'", *name, "' is a hop-by-hop field (RFC 9110 §7.6.1)"));
      } else {
        out.status_header = *name;
      }
    }
  }
  positive_duration(s, "coalesce_timeout", out.coalesce_timeout);

  // The budget is split evenly between shards; an object above one shard's share would be
  // stored and evicted at once, so such a setting is a mistake worth pointing out, with the
  // three ways out in the units the file uses.
  uint64_t per_shard = out.max_memory / out.shards;
  if (out.max_memory > 0 && out.max_object_size > per_shard) {
    const Field* object_field = s.find("max_object_size");
    const Field* memory_field = s.find("max_memory");
    const Field* at = object_field ? object_field : &f;
    auto written = [](const Field* field, uint64_t value) {
      return field != nullptr && field->node.IsScalar() ? field->node.Scalar() : format_size(value);
    };
    std::string object_text = written(object_field, out.max_object_size);
    std::string memory_text = written(memory_field, out.max_memory);
    std::string ways = concat("lower max_object_size to at most ",
                              format_size_like(per_shard, object_text));
    // max_memory for this object size at the current shard count, if it stays representable.
    if (out.max_object_size <= std::numeric_limits<uint64_t>::max() / out.shards) {
      ways += concat(", raise max_memory to at least ",
                     format_size_like(out.max_object_size * out.shards, memory_text));
    }
    uint64_t shards_that_fit = out.max_memory / out.max_object_size;
    if (shards_that_fit >= 1) {
      uint64_t power = 1;
      while (power * 2 <= shards_that_fit) power *= 2;
      ways += concat(", or set shards to ", std::to_string(power));
    }
    r_.warning(*at, concat("max_object_size (", object_text,
                           ") is larger than one shard's share of max_memory (", memory_text,
                           " / ", std::to_string(out.shards), " shards = ",
                           format_size_like(per_shard, memory_text),
                           "), so such objects would never be cached; ", ways));
  }
}

void SettingsLoader::log_destination(const YamlReader::Section& s, std::string_view key,
                                     bool allow_off, std::string& out) {
  const Field* f = s.find(key);
  if (f == nullptr) return;
  std::optional<std::string> v = r_.string(*f);
  if (!v) return;
  if (*v == "stdout" || *v == "stderr") {
    out = *v;
  } else if (allow_off && YamlReader::is_off_word(*v)) {
    out = "off";
  } else if (!v->empty() && v->front() == '/') {
    out = *v;
  } else {
    // A relative path would depend on the daemon's working directory.
    r_.error(*f, concat("expected ", allow_off ? "off, " : "",
                        "stdout, stderr or an absolute file path, found '", *v, "'"));
  }
}

void SettingsLoader::read_log(const Field& f, LogConfig& out) {
  YamlReader::Section s = r_.section(f, kLogKeys);
  if (!s.is_map()) return;
  if (const Field* v = s.find("level")) {
    if (YamlReader::is_off(*v)) {
      out.level = LogLevel::Off;
    } else if (auto level = r_.choice<LogLevel>(*v, {{"trace", LogLevel::Trace},
                                              {"debug", LogLevel::Debug},
                                              {"info", LogLevel::Info},
                                              {"warn", LogLevel::Warn},
                                              {"error", LogLevel::Error},
                                              {"critical", LogLevel::Critical},
                                              {"off", LogLevel::Off}})) {
      out.level = *level;
    }
  }
  log_destination(s, "error_log", false, out.error_log);
  log_destination(s, "access_log", true, out.access_log);
  if (const Field* v = s.find("access_format")) {
    if (auto format =
            r_.choice<LogFormat>(*v, {{"text", LogFormat::Text},
                                      {"json", LogFormat::Json},
                                      {"combined", LogFormat::Combined}})) {
      out.access_format = *format;
    }
  }
}

void SettingsLoader::read_admin(const Field& f, AdminConfig& out) {
  if (switched_off(f)) {
    out.enabled = false;
    return;
  }
  if (YamlReader::is_on(f)) {
    out.enabled = true;
    return;
  }
  if (f.node.IsScalar()) {
    r_.error(f, "expected `off` or a mapping such as { listen: \"127.0.0.1:9091\" }");
    return;
  }
  YamlReader::Section s = r_.section(f, kAdminKeys);
  if (!s.is_map()) return;
  out.enabled = true;
  if (const Field* v = s.find("listen")) {
    if (v->node.IsScalar() && is_bare_port(v->node.Scalar())) {
      // Unlike the public `listen`, never every address: the admin API purges and reveals.
      r_.error(*v, concat("give the address too, e.g. 127.0.0.1:", v->node.Scalar(),
                          "; the admin API must not listen on every address by accident"));
    } else if (auto a = address(*v, std::nullopt)) {
      out.listen = std::move(*a);
    }
  }
}

void SettingsLoader::read_fleet(const Field& f, FleetConfig& out) {
  if (switched_off(f)) {
    out.enabled = false;
    return;
  }
  if (YamlReader::is_on(f)) {
    out.enabled = true;
    return;
  }
  if (f.node.IsScalar()) {
    r_.error(f, "expected `off` or a mapping such as { redis: \"127.0.0.1:6379\" }");
    return;
  }
  YamlReader::Section s = r_.section(f, kFleetKeys);
  if (!s.is_map()) return;
  out.enabled = true;
  if (const Field* v = s.find("redis")) {
    if (auto a = address(*v, uint16_t{6379})) {
      out.redis_host = a->host;
      out.redis_port = a->port;
    }
  }
  // Both travel inside Redis commands and log lines: keep them to visible characters.
  auto word = [&](std::string_view key, std::string& into) {
    const Field* v = s.find(key);
    if (v == nullptr) return;
    std::optional<std::string> text = r_.string(*v);
    if (!text) return;
    bool visible = !text->empty() && std::all_of(text->begin(), text->end(), [](char c) {
      return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
    });
    if (!visible) {
      r_.error(*v, "must be non-empty, without spaces or control characters");
      return;
    }
    into = *text;
  };
  word("channel", out.channel);
  word("instance_id", out.instance_id);
  positive_duration(s, "reconnect_min", out.reconnect_min);
  positive_duration(s, "reconnect_max", out.reconnect_max);
  if (out.reconnect_max < out.reconnect_min) {
    const Field* at = s.find("reconnect_max") ? s.find("reconnect_max") : &f;
    r_.error(*at, "reconnect_max must not be shorter than reconnect_min");
  }
  if (const Field* v = s.find("max_staleness")) {
    if (auto d = r_.duration(*v)) out.max_staleness = *d;
  }
}

std::string default_instance_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    return concat("etagd:", std::to_string(getpid()));
  }
  return concat(host, ":", std::to_string(getpid()));
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) out += concat(":", std::to_string(line), ":", std::to_string(column));
  out += severity == Severity::Error ? ": error: " : ": warning: ";
  if (!key_path.empty()) out += concat(key_path, ": ");
  out += message;
  return out;
}

LoadResult load_config_text(std::string_view yaml, const std::string& file_name) {
  YamlReader reader(file_name);
  reader.set_unknown_key_hint(unknown_key_hint);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    // e.msg is the bare message; e.what() would repeat the position in yaml-cpp's own format.
    YamlSyntaxError syntax = explain_yaml_error(yaml, e.mark, e.msg);
    reader.error(syntax.mark, "", std::move(syntax.message));
    return {nullptr, reader.take_diagnostics()};
  }

  Field top;
  top.node = root;
  top.mark = YAML::Mark();  // line 0, column 0: the start of the file
  top.key_mark = top.mark;

  auto config = std::make_shared<Config>();
  config->source_path = file_name;
  config->fleet.instance_id = default_instance_id();

  if (root.IsNull()) {
    reader.error(top.mark, "", "the file is empty; it needs at least `listen` and `upstream`");
    return {nullptr, reader.take_diagnostics()};
  }
  YamlReader::Section s = reader.section(top, kTopLevelKeys);
  if (!s.is_map()) return {nullptr, reader.take_diagnostics()};

  SettingsLoader settings(reader);
  if (const Field* f = s.find("listen")) {
    settings.read_listen(*f, config->listen);
  } else {
    reader.error(top.mark, "listen",
                 "required: the address(es) etagd accepts clients on, e.g. listen: 127.0.0.1:8080");
  }
  if (const Field* f = s.find("upstream")) {
    settings.read_upstream(*f, config->upstream);
  } else {
    reader.error(top.mark, "upstream",
                 "required: the origin server, e.g. upstream: http://127.0.0.1:9000");
  }
  if (const Field* f = s.find("trusted_proxies")) {
    settings.read_trusted_proxies(*f, config->trusted_proxies);
  }
  if (const Field* f = s.find("workers")) settings.read_workers(*f, config->workers);
  if (const Field* f = s.find("timeouts")) settings.read_timeouts(*f, config->timeouts);
  if (const Field* f = s.find("limits")) settings.read_limits(*f, config->limits);
  if (const Field* f = s.find("cache")) settings.read_cache(*f, config->cache);
  if (const Field* f = s.find("log")) settings.read_log(*f, config->log);
  if (const Field* f = s.find("admin")) settings.read_admin(*f, config->admin);
  if (const Field* f = s.find("fleet")) settings.read_fleet(*f, config->fleet);
  config->rules = read_rules(reader, s.find("defaults"), s.find("rules"));

  config->positions = reader.take_positions();
  bool failed = reader.has_errors();
  return {failed ? nullptr : std::move(config), reader.take_diagnostics()};
}

LoadResult load_config_file(const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec)) {
    Diagnostic d;
    d.file = path;
    d.message = "cannot read the file";
    if (errno != 0) d.message += std::string(": ") + std::strerror(errno);
    return {nullptr, {d}};
  }
  return load_config_text(text.str(), path);
}

}  // namespace etagd::config
