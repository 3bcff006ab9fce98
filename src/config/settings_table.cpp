#include "config/settings_table.h"

#include <algorithm>
#include <limits>

#include "config/host_port.h"
#include "config/tls_files.h"
#include "http/hop_by_hop.h"
#include "http/token.h"

namespace etagd::config {

namespace {

using Row = Setting<Config>;
using base::JsonWriter;

constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();

bool same_address(const ListenAddress& a, const ListenAddress& b) {
  return a.host == b.host && a.port == b.port;
}

std::string host_port_text(const std::string& host, uint16_t port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return ipv6 ? concat("[", host, "]:", std::to_string(port))
              : concat(host, ":", std::to_string(port));
}

std::optional<ListenAddress> read_address(YamlReader& r, const Field& f,
                                          std::optional<uint16_t> default_port) {
  std::optional<std::string> text = r.string(f);
  if (!text) return std::nullopt;
  ListenAddress a;
  if (base::Status s = parse_host_port(*text, default_port, a); !s) {
    r.error(f, s.message());
    return std::nullopt;
  }
  return a;
}

// ---- top level ---------------------------------------------------------------------------

// A `listen:` entry's address: "host:port", or a bare port for every address, which comes
// back with an empty host for read_listen to expand.
void read_listener_address(YamlReader& r, const Field& f, ListenerConfig& l) {
  if (f.node.IsScalar() && is_bare_port(f.node.Scalar())) {
    ListenAddress v4;
    if (base::Status s = parse_host_port(concat("0.0.0.0:", f.node.Scalar()), {}, v4); !s) {
      r.error(f, s.message());
      return;
    }
    l.address = ListenAddress{"", v4.port, f.node.Scalar()};
    return;
  }
  if (std::optional<ListenAddress> a = read_address(r, f, std::nullopt)) l.address = std::move(*a);
}

void read_pem_path(YamlReader& r, const Field& f, std::string& out);

// `tls:` of a listener: { certificates: [{ cert, key }, ...], protocols: [TLSv1.2, TLSv1.3] };
// `off` (what /config writes for a plain listener) is no TLS.
void read_listener_tls(YamlReader& r, const Field& f, ListenerConfig& l) {
  if (YamlReader::is_off(f)) return;
  YamlReader::Section section = r.section(f, {"certificates", "protocols"});
  if (!section.is_map()) return;
  ListenerTls tls;
  bool ok = true;
  if (const Field* certs = section.find("certificates")) {
    if (auto items = r.list(*certs)) {
      for (const Field& item : *items) {
        YamlReader::Section pair = r.section(item, {"cert", "key"});
        if (!pair.is_map()) {
          ok = false;
          continue;
        }
        ListenerCertificate c;
        const Field* cert = pair.find("cert");
        const Field* key = pair.find("key");
        if (cert == nullptr || key == nullptr) {
          r.error(item, "a certificate needs both cert and key, e.g. { cert: /etc/etagd/api.pem, "
                        "key: /etc/etagd/api.key }");
          ok = false;
          continue;
        }
        read_pem_path(r, *cert, c.cert);
        read_pem_path(r, *key, c.key);
        if (c.cert.empty() || c.key.empty()) {
          ok = false;
          continue;
        }
        if (CertificatePairCheck check = check_certificate_pair(c.cert, c.key); !check.status) {
          r.error(check.key_at_fault ? *key : *cert, check.status.message());
          ok = false;
          continue;
        }
        tls.certificates.push_back(std::move(c));
      }
      if (items->empty()) {
        r.error(*certs, "needs at least one { cert, key }");
        ok = false;
      }
    } else {
      ok = false;
    }
  } else {
    r.error(f, "a TLS listener needs certificates: [{ cert: /etc/etagd/api.pem, key: "
               "/etc/etagd/api.key }]");
    ok = false;
  }
  if (const Field* protocols = section.find("protocols")) {
    if (auto items = r.list(*protocols)) {
      tls.tls12 = false;
      tls.tls13 = false;
      for (const Field& item : *items) {
        std::optional<std::string> v = r.string(item);
        if (!v) continue;
        if (*v == "TLSv1.2") {
          tls.tls12 = true;
        } else if (*v == "TLSv1.3") {
          tls.tls13 = true;
        } else if (*v == "TLSv1" || *v == "TLSv1.0" || *v == "TLSv1.1" || *v == "SSLv3") {
          r.error(item, concat(*v, " is refused: TLS 1.0 and 1.1 are deprecated (RFC 8996); use "
                               "TLSv1.2 and TLSv1.3"));
        } else {
          r.error(item, YamlReader::unknown_word_message(*v, {"TLSv1.2", "TLSv1.3"}));
        }
      }
      if (!tls.tls12 && !tls.tls13) {
        r.error(*protocols, "needs TLSv1.2, TLSv1.3 or both");
        ok = false;
      }
    }
  }
  if (ok) l.tls = std::move(tls);
}

void write_listener_tls(JsonWriter& w, const ListenerConfig& l) {
  if (!l.tls.enabled()) {
    w.value("off");
    return;
  }
  w.begin_object();
  w.key("certificates");
  w.begin_array();
  for (const ListenerCertificate& c : l.tls.certificates) {
    w.begin_object();
    w.key("cert");
    w.value(c.cert);
    w.key("key");
    w.value(c.key);
    w.end_object();
  }
  w.end_array();
  w.key("protocols");
  w.begin_array();
  if (l.tls.tls12) w.value("TLSv1.2");
  if (l.tls.tls13) w.value("TLSv1.3");
  w.end_array();
  w.end_object();
}

std::vector<Setting<ListenerConfig>> make_listener_settings() {
  using L = ListenerConfig;
  Setting<L> address;
  address.name = "address";
  address.type = "host:port, or a bare port";
  address.apply = Apply::Restart;
  address.doc = "where the listener accepts clients; a bare port is every IPv4 and IPv6 address";
  address.read = read_listener_address;
  address.write = [](JsonWriter& w, const L& l) { w.value(l.address.text); };
  address.same = [](const L& a, const L& b) { return same_address(a.address, b.address); };
  address.copy = [](L& to, const L& from) { to.address = from.address; };
  address.required = "the host:port it accepts clients on";
  Setting<L> http2 = on_off<L>(
      "http2", at(&L::http2), Apply::Restart,
      "also speak cleartext HTTP/2 to clients that open with its preface (prior knowledge, no "
      "Upgrade); HTTP/1.1 keeps working on the same address");
  Setting<L> tls;
  tls.name = "tls";
  tls.type = "off, or { certificates: [{ cert, key }, ...], protocols: [TLSv1.2, TLSv1.3] }";
  // The certificates and protocols live in the TLS contexts each reload builds afresh (a
  // connection keeps the ones it was accepted with); whether the listener speaks TLS at all
  // is fixed with its socket, so the listen row counts switching it on or off as a restart.
  tls.apply = Apply::Reload;
  tls.doc = "TLS on this listener: the certificates (the client's SNI chooses, the first is the "
            "default) and the protocol versions; a reload reads the files again and applies a "
            "changed list to new connections; switching TLS on or off needs a restart";
  tls.read = read_listener_tls;
  tls.write = write_listener_tls;
  tls.same = [](const L& a, const L& b) { return a.tls == b.tls; };
  tls.copy = [](L& to, const L& from) { to.tls = from.tls; };
  return {std::move(address), std::move(http2), std::move(tls)};
}

// Whether `l` differs from a default listener only in its address: it is then written as the
// address alone, the form most files use.
bool only_address(const ListenerConfig& l) {
  ListenerConfig plain;
  plain.address = l.address;
  for (const Setting<ListenerConfig>& s : listener_settings()) {
    if (!s.same(l, plain)) return false;
  }
  return true;
}

void write_listener(JsonWriter& w, const ListenerConfig& l) {
  if (only_address(l)) {
    w.value(l.address.text);
    return;
  }
  w.begin_object();
  for (const Setting<ListenerConfig>& s : listener_settings()) {
    w.key(s.name);
    s.write(w, l);
  }
  w.end_object();
}

// One `listen:` entry, a string or a mapping; nullopt after reporting a problem.
std::optional<ListenerConfig> read_listener(YamlReader& r, const Field& item) {
  ListenerConfig l;
  if (!item.node.IsMap()) {
    read_listener_address(r, item, l);
    if (l.address.text.empty()) return std::nullopt;
    l.path = item.path;
    return l;
  }
  std::vector<std::string_view> names;
  for (const Setting<ListenerConfig>& s : listener_settings()) names.push_back(s.name);
  YamlReader::Section section = r.section(item, names);
  if (!section.is_map()) return std::nullopt;
  bool ok = true;
  for (const Setting<ListenerConfig>& s : listener_settings()) {
    if (const Field* f = section.find(s.name)) {
      s.read(r, *f, l);
    } else if (!s.required.empty()) {
      r.error(item, concat("a listener needs an ", s.name, ", ", s.required,
                           ", e.g. { address: 0.0.0.0:8080, http2: on }"));
      ok = false;
    }
  }
  if (!ok || l.address.text.empty()) return std::nullopt;
  l.path = concat(item.path, ".address");
  return l;
}

void read_listen(YamlReader& r, const Field& f, Config& c) {
  // One listener alone needs no list, whichever form it is written in.
  auto items = f.node.IsMap() ? std::optional<std::vector<Field>>({f}) : r.list(f);
  if (!items) return;
  if (items->empty()) r.error(f, "needs at least one host:port to accept clients on");
  std::vector<ListenerConfig>& out = c.listen;
  for (const Field& item : *items) {
    std::optional<ListenerConfig> read = read_listener(r, item);
    if (!read) continue;
    std::vector<ListenerConfig> listeners;
    if (read->address.host.empty()) {
      // `listen: 8080` as nginx reads it: every address of the machine, in each family it has.
      // The port was checked by read_listener_address: these cannot fail.
      std::string port = read->address.text;
      ListenerConfig v4 = *read;
      (void)parse_host_port(concat("0.0.0.0:", port), {}, v4.address);
      listeners.push_back(v4);
      if (ipv6_available()) {
        ListenerConfig v6 = *read;
        (void)parse_host_port(concat("[::]:", port), {}, v6.address);
        listeners.push_back(std::move(v6));
      }
    } else {
      listeners.push_back(std::move(*read));
    }
    for (ListenerConfig& l : listeners) {
      bool duplicate = std::any_of(out.begin(), out.end(), [&](const ListenerConfig& other) {
        return same_address(l.address, other.address);
      });
      if (duplicate) {
        r.error(item, concat("'", l.address.text, "' is listed twice"));
        continue;
      }
      out.push_back(std::move(l));
    }
  }
}

Row listen_row() {
  Row s;
  s.name = "listen";
  s.type = "host:port, a bare port, a mapping with address and options, or a list of them";
  s.apply = Apply::Restart;
  s.doc = "the addresses etagd accepts clients on; a bare port is every IPv4 and IPv6 address";
  s.required = "the address(es) etagd accepts clients on, e.g. listen: 127.0.0.1:8080";
  s.read = read_listen;
  s.write = [](JsonWriter& w, const Config& c) {
    w.begin_array();
    for (const ListenerConfig& l : c.listen) write_listener(w, l);
    w.end_array();
  };
  // The restart check: the sockets (one per address, bound at start) and what is fixed with
  // each (HTTP/2 detection, TLS or not). A listener's certificates and protocols apply on
  // reload: with the same sockets, the file's listeners are taken as they are.
  s.same = [](const Config& a, const Config& b) {
    return std::equal(a.listen.begin(), a.listen.end(), b.listen.begin(), b.listen.end(),
                      [](const ListenerConfig& x, const ListenerConfig& y) {
                        for (const Setting<ListenerConfig>& option : listener_settings()) {
                          if (option.apply == Apply::Restart && !option.same(x, y)) return false;
                        }
                        return x.tls.enabled() == y.tls.enabled();
                      });
  };
  s.copy = [](Config& to, const Config& from) { to.listen = from.listen; };
  return s;
}

void read_trusted_proxies(YamlReader& r, const Field& f, Config& c) {
  auto items = r.list(f);
  if (!items) return;
  std::vector<IpNetwork>& out = c.trusted_proxies;
  for (const Field& item : *items) {
    std::optional<std::string> text = r.string(item);
    if (!text) continue;
    IpNetwork net;
    if (base::Status s = parse_ip_network(*text, net); !s) {
      r.error(item, s.message());
      continue;
    }
    if (std::find(out.begin(), out.end(), net) != out.end()) {
      r.error(item, concat("'", *text, "' is listed twice"));
      continue;
    }
    if (net.prefix_length == 0 || (net.is_ipv4() && net.prefix_length == 96)) {
      r.warning(item, concat("'", *text, "' trusts every ", net.is_ipv4() ? "IPv4" : "IPv6",
                             " peer: any client can then choose the client address and "
                             "X-Forwarded-Proto etagd passes on; list only the proxies in front "
                             "of etagd"));
    }
    out.push_back(net);
  }
}

Row trusted_proxies_row() {
  return custom<Config>(
      "trusted_proxies", "list of IP addresses and networks", Apply::Reload,
      "peers whose X-Forwarded-* fields are believed (a TLS terminator, a load balancer)",
      at(&Config::trusted_proxies),
      [](JsonWriter& w, const std::vector<IpNetwork>& nets) {
        w.begin_array();
        for (const IpNetwork& n : nets) w.value(n.to_string());
        w.end_array();
      },
      read_trusted_proxies);
}

void read_targeted_cache_control(YamlReader& r, const Field& f, Config& c) {
  auto items = r.list(f);
  if (!items) return;
  std::vector<std::string> names;
  for (const Field& item : *items) {
    std::optional<std::string> name = r.string(item);
    if (!name) continue;
    if (!http::is_token(*name)) {  // a field name is a token (RFC 9110 §5.1)
      r.error(item, concat("'", *name, "' is not a field name"));
      continue;
    }
    bool twice = std::any_of(names.begin(), names.end(),
                             [&](const std::string& n) { return http::iequals(n, *name); });
    if (twice) {
      r.error(item, concat("'", *name, "' is listed twice"));
      continue;
    }
    if (http::iequals(*name, "cache-control")) {
      r.error(item, "Cache-Control is what targeted fields replace; list only targeted fields");
      continue;
    }
    names.push_back(*name);
  }
  c.targeted_cache_control = std::move(names);
}

Row targeted_cache_control_row() {
  return custom<Config>(
      "targeted_cache_control", "list of field names", Apply::Reload,
      "targeted Cache-Control fields (RFC 9213) honoured instead of Cache-Control and Expires, "
      "first present and valid wins; Etagd-Cache-Control is removed from responses; [] turns "
      "it off",
      at(&Config::targeted_cache_control),
      [](JsonWriter& w, const std::vector<std::string>& names) {
        w.begin_array();
        for (const std::string& n : names) w.value(n);
        w.end_array();
      },
      read_targeted_cache_control);
}

Row workers_row() {
  return custom<Config>(
      "workers", "auto, or integer 1 to 1024", Apply::Restart,
      "worker threads, each with its own event loop and listening socket; auto: one per CPU",
      at(&Config::workers),
      [](JsonWriter& w, uint32_t n) {
        if (n == 0) {
          w.value("auto");
        } else {
          w.value(n);
        }
      },
      [](YamlReader& r, const Field& f, Config& c) {
        if (f.node.IsScalar() && f.node.Scalar() == "auto") {
          c.workers = 0;
          return;
        }
        if (f.node.IsScalar() &&
            f.node.Scalar().find_first_not_of("0123456789") != std::string::npos) {
          r.error(f, concat("expected `auto` or a number of worker threads, found '",
                            f.node.Scalar(), "'"));
          return;
        }
        if (auto n = r.integer(f, 1, 1024)) c.workers = static_cast<uint32_t>(*n);
      });
}

// ---- upstream ----------------------------------------------------------------------------

// An upstream server's URL into `out`; false after reporting a problem.
bool read_server_url(YamlReader& r, const Field& uf, UpstreamServerConfig& out) {
  std::optional<std::string> url = r.string(uf);
  if (!url) return false;
  std::string_view rest = *url;
  bool https = http::istarts_with(rest, "https://");
  if (!https && !http::istarts_with(rest, "http://")) {
    r.error(uf, concat("'", *url, "' is not an http:// or https:// URL, e.g. http://127.0.0.1:9000"));
    return false;
  }
  const std::string_view kScheme = https ? "https://" : "http://";
  const uint16_t default_port = https ? 443 : 80;
  rest.remove_prefix(kScheme.size());
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? "" : rest.substr(end);
  ListenAddress a;
  base::Status s = base::Status::ok();
  if (authority.find('@') != std::string_view::npos) {
    s = base::Status::error("credentials in the URL are not supported");
  } else if (path.find_first_of("?#") != std::string_view::npos) {
    s = base::Status::error("the upstream URL cannot have a query or fragment, only a base path");
  } else if (std::any_of(path.begin(), path.end(), [](char ch) {
               return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f;
             })) {
    s = base::Status::error("the base path cannot contain spaces or control characters");
  } else {
    s = parse_host_port(authority, default_port, a);
  }
  if (!s) {
    r.error(uf, s.message());
    return false;
  }
  out.url = *url;
  out.https = https;
  out.host = a.host;
  out.port = a.port;
  bool ipv6 = a.host.find(':') != std::string::npos;
  out.authority = ipv6 ? concat("[", a.host, "]") : a.host;
  if (a.port != default_port) out.authority += concat(":", std::to_string(a.port));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.base_path = std::string(path);
  return true;
}

// The fields that name "the upstream" follow the first server.
void name_upstream_after_first_server(UpstreamConfig& u) {
  if (u.servers.empty()) return;
  const UpstreamServerConfig& first = u.servers.front();
  u.url = first.url;
  u.https = first.https;
  u.host = first.host;
  u.port = first.port;
  u.base_path = first.base_path;
  u.authority = first.authority;
}

void read_upstream_url(YamlReader& r, const Field& uf, Config& c) {
  UpstreamServerConfig server;
  if (!read_server_url(r, uf, server)) return;
  c.upstream.servers = {std::move(server)};
  name_upstream_after_first_server(c.upstream);
}

void write_server(JsonWriter& w, const UpstreamServerConfig& s) {
  w.begin_object();
  w.key("url");
  w.value(s.url);
  w.key("weight");
  w.value(static_cast<uint64_t>(s.weight));
  w.key("backup");
  w.value(s.backup);
  w.end_object();
}

// `servers: [{ url: http://10.0.0.7:9000, weight: 2 }, { url: ..., backup: true }]`; an
// item may also be the URL alone.
void read_upstream_servers(YamlReader& r, const Field& f, Config& c) {
  auto items = r.list(f);
  if (!items) return;
  if (items->empty()) {
    r.error(f, "needs at least one server, e.g. [{ url: http://10.0.0.7:9000 }]");
    return;
  }
  std::vector<UpstreamServerConfig> servers;
  bool ok = true;
  for (const Field& item : *items) {
    UpstreamServerConfig server;
    if (item.node.IsScalar()) {
      ok = read_server_url(r, item, server) && ok;
    } else {
      YamlReader::Section s = r.section(item, {"url", "weight", "backup"});
      if (!s.is_map()) {
        ok = false;
        continue;
      }
      if (const Field* url = s.find("url")) {
        ok = read_server_url(r, *url, server) && ok;
      } else {
        r.error(item, "a server needs a url, e.g. { url: http://10.0.0.7:9000, weight: 2 }");
        ok = false;
      }
      if (const Field* weight = s.find("weight")) {
        if (auto n = r.integer(*weight, 1, 1000)) {
          server.weight = static_cast<uint32_t>(*n);
        } else {
          ok = false;
        }
      }
      if (const Field* backup = s.find("backup")) {
        if (auto b = r.on_off(*backup)) {
          server.backup = *b;
        } else {
          ok = false;
        }
      }
    }
    bool duplicate = std::any_of(servers.begin(), servers.end(), [&](const UpstreamServerConfig& o) {
      return !server.url.empty() && o.host == server.host && o.port == server.port;
    });
    if (duplicate) {
      r.error(item, concat("'", server.url, "' is listed twice"));
      ok = false;
    }
    servers.push_back(std::move(server));
  }
  if (!ok) return;
  if (std::all_of(servers.begin(), servers.end(),
                  [](const UpstreamServerConfig& s) { return s.backup; })) {
    r.error(f, "every server is a backup: at least one must be a primary (backup: false)");
    return;
  }
  c.upstream.servers = std::move(servers);
  name_upstream_after_first_server(c.upstream);
}

Row upstream_servers_row() {
  return custom<Config>(
      "servers", "list of { url, weight: 1 to 1000, backup: on | off }", Apply::Reload,
      "the origin servers, instead of url: requests go to the primary with the fewest in "
      "flight for its weight; backups only while no primary is up",
      at(&Config::upstream, &UpstreamConfig::servers),
      [](JsonWriter& w, const std::vector<UpstreamServerConfig>& servers) {
        w.begin_array();
        for (const UpstreamServerConfig& s : servers) write_server(w, s);
        w.end_array();
      },
      read_upstream_servers);
}

void check_upstream_tls(YamlReader& r, const YamlReader::Section& s, const Config& c);

void check_upstream(YamlReader& r, const Field& f, const YamlReader::Section& s, Config& c) {
  check_upstream_tls(r, s, c);
  const Field* url = s.find("url");
  const Field* servers = s.find("servers");
  if (url && servers) {
    r.error(*servers, "give either url (one server) or servers (several), not both");
  } else if (!url && !servers) {
    r.error(f, "upstream needs a url, e.g. url: http://127.0.0.1:9000, or servers, e.g. "
               "servers: [{ url: http://10.0.0.7:9000 }, { url: http://10.0.0.8:9000 }]");
  }
}

Row upstream_url_row() {
  Row s = custom<Config>(
      "url", "http[s]://host[:port][/base]", Apply::Reload,
      "the origin every request goes to (https: over TLS, see upstream.tls); a base path is put "
      "in front of every request path",
      at(&Config::upstream, &UpstreamConfig::url),
      [](JsonWriter& w, const std::string& url) { w.value(url); }, read_upstream_url);
  // With servers: the first one's; /config shows both, and a file gives one or the other.
  s.same = [](const Config& a, const Config& b) { return a.upstream.servers == b.upstream.servers; };
  s.copy = [](Config& to, const Config& from) {
    to.upstream.servers = from.upstream.servers;
    name_upstream_after_first_server(to.upstream);
  };
  return s;
}

// ---- upstream.tls ------------------------------------------------------------------------

// A PEM file's path. Relative paths would depend on the daemon's working directory.
void read_pem_path(YamlReader& r, const Field& f, std::string& out) {
  std::optional<std::string> v = r.string(f);
  if (!v) return;
  if (v->empty()) return;  // "" is the default (no file), as /config writes it
  if (v->front() != '/') {
    r.error(f, concat("expected an absolute path to a PEM file, found '", *v, "'"));
    return;
  }
  out = *v;
}

Setting<UpstreamTls> tls_path_row(std::string_view name, std::string UpstreamTls::*member,
                                  std::string_view doc) {
  return custom<UpstreamTls>(
      name, "absolute path", Apply::Reload, doc, at(member),
      [](JsonWriter& w, const std::string& v) { w.value(v); },
      [member](YamlReader& r, const Field& f, UpstreamTls& t) { read_pem_path(r, f, t.*member); });
}

std::vector<Setting<UpstreamTls>> make_upstream_tls_settings() {
  using T = UpstreamTls;
  Setting<T> ca_file = tls_path_row(
      "ca_file", &T::ca_file, "PEM bundle of the CAs the origin's certificate must chain to");
  ca_file.default_text = "the system trust store";
  Setting<T> server_name = custom<T>(
      "server_name", "host name or address", Apply::Reload,
      "sent as SNI and the name the origin's certificate must carry", at(&T::server_name),
      [](JsonWriter& w, const std::string& v) { w.value(v); },
      [](YamlReader& r, const Field& f, T& t) {
        std::optional<std::string> v = r.string(f);
        if (!v || v->empty()) return;  // "": the URL's host, as /config writes it
        ListenAddress parsed;
        if (v->find(':') == std::string::npos && parse_host_port(*v, uint16_t{443}, parsed)) {
          t.server_name = *v;
        } else if (v->find(':') != std::string::npos &&
                   parse_host_port(concat("[", *v, "]"), uint16_t{443}, parsed)) {
          t.server_name = *v;  // an IPv6 address
        } else {
          r.error(f, concat("expected a host name or an IP address, found '", *v, "'"));
        }
      });
  server_name.default_text = "the URL's host";
  Setting<T> verify = on_off<T>(
      "verify", at(&T::verify), Apply::Reload,
      "check the origin's certificate (CA, dates, name); off accepts any certificate");
  // Turning verification off must not go unnoticed: a warning at start and at every reload.
  verify.read = [read = verify.read](YamlReader& r, const Field& f, T& t) {
    read(r, f, t);
    if (!t.verify) {
      r.warning(f, "TLS verification is off: etagd accepts any certificate from the origin, "
                   "so anyone on the path can read and change what it sends and receives");
    }
  };
  return {std::move(ca_file), std::move(server_name), std::move(verify),
          tls_path_row("client_cert", &T::client_cert,
                       "PEM certificate chain etagd presents when the origin asks (mutual TLS)"),
          tls_path_row("client_key", &T::client_key, "the private key of client_cert")};
}

void read_upstream_tls(YamlReader& r, const Field& f, Config& c) {
  std::vector<std::string_view> names;
  for (const Setting<UpstreamTls>& s : upstream_tls_settings()) names.push_back(s.name);
  YamlReader::Section section = r.section(f, names);
  if (!section.is_map()) return;
  UpstreamTls tls;
  for (const Setting<UpstreamTls>& s : upstream_tls_settings()) {
    if (const Field* field = section.find(s.name)) s.read(r, *field, tls);
  }
  const Field* ca = section.find("ca_file");
  const Field* cert = section.find("client_cert");
  const Field* key = section.find("client_key");
  if (ca != nullptr && !tls.ca_file.empty()) {
    if (base::Status s = check_ca_file(tls.ca_file); !s) r.error(*ca, s.message());
  }
  if ((cert == nullptr) != (key == nullptr)) {
    r.error(cert != nullptr ? *cert : *key,
            "mutual TLS needs both client_cert and client_key");
  } else if (cert != nullptr && !tls.client_cert.empty() && !tls.client_key.empty()) {
    CertificatePairCheck check = check_certificate_pair(tls.client_cert, tls.client_key);
    if (!check.status) r.error(check.key_at_fault ? *key : *cert, check.status.message());
  }
  c.upstream.tls = std::move(tls);
}

Row upstream_tls_row() {
  Row s;
  s.name = "tls";
  s.type = "mapping of upstream.tls keys";
  s.apply = Apply::Reload;
  s.doc = "how etagd speaks TLS to an https:// upstream: trust, name, client certificate";
  s.default_text = "the defaults of its keys (upstream.tls below)";
  s.read = read_upstream_tls;
  s.write = [](JsonWriter& w, const Config& c) {
    w.begin_object();
    for (const Setting<UpstreamTls>& option : upstream_tls_settings()) {
      w.key(option.name);
      option.write(w, c.upstream.tls);
    }
    w.end_object();
  };
  s.same = [](const Config& a, const Config& b) { return a.upstream.tls == b.upstream.tls; };
  s.copy = [](Config& to, const Config& from) { to.upstream.tls = from.upstream.tls; };
  return s;
}

// upstream.tls given where no server is https.
void check_upstream_tls(YamlReader& r, const YamlReader::Section& s, const Config& c) {
  const Field* tls = s.find("tls");
  bool any_https = std::any_of(c.upstream.servers.begin(), c.upstream.servers.end(),
                               [](const UpstreamServerConfig& server) { return server.https; });
  if (tls != nullptr && !any_https && !c.upstream.servers.empty() &&
      !(c.upstream.tls == UpstreamTls{})) {
    r.warning(*tls, concat("has no effect: '", c.upstream.url,
                           "' is plain http; tls applies to https:// upstreams"));
  }
}

Row host_header_row() {
  Row s;
  s.name = "host_header";
  s.type = "forward | upstream | host[:port]";
  s.doc = "Host sent upstream: the client's, the URL's authority, or this literal";
  s.read = [](YamlReader& r, const Field& f, Config& c) {
    std::optional<std::string> v = r.string(f);
    if (!v) return;
    if (*v == "forward") {
      c.upstream.host_header = HostHeader::Forward;
    } else if (*v == "upstream") {
      c.upstream.host_header = HostHeader::Upstream;
    } else {
      // A literal goes on the wire as the Host field: it must be a valid authority
      // (RFC 9110 §7.2), never anything that could end the line.
      ListenAddress parsed;
      if (base::Status valid = parse_host_port(*v, uint16_t{80}, parsed); valid) {
        c.upstream.host_header = HostHeader::Fixed;
        c.upstream.fixed_host = *v;
      } else {
        r.error(f, concat("expected forward, upstream or a host[:port] to send; ", valid.message()));
      }
    }
  };
  s.write = [](JsonWriter& w, const Config& c) {
    switch (c.upstream.host_header) {
      case HostHeader::Forward: w.value("forward"); break;
      case HostHeader::Upstream: w.value("upstream"); break;
      case HostHeader::Fixed: w.value(c.upstream.fixed_host); break;
    }
  };
  s.same = [](const Config& a, const Config& b) {
    return a.upstream.host_header == b.upstream.host_header &&
           a.upstream.fixed_host == b.upstream.fixed_host;
  };
  s.copy = [](Config& to, const Config& from) {
    to.upstream.host_header = from.upstream.host_header;
    to.upstream.fixed_host = from.upstream.fixed_host;
  };
  return s;
}

bool read_upstream_shorthand(YamlReader& r, const Field& f, Config& c) {
  // `upstream: http://127.0.0.1:9000` is short for `upstream: { url: http://127.0.0.1:9000 }`.
  if (f.node.IsScalar()) {
    read_upstream_url(r, f, c);
    return true;
  }
  if (f.node.IsSequence()) {
    std::string first = f.node.size() > 0 && f.node[0].IsScalar() ? f.node[0].Scalar()
                                                                   : "http://10.0.0.7:9000";
    r.error(f, concat("a list of servers goes under servers: write upstream: { servers: [",
                      first, ", ...] }, or upstream: ", first, " for one"));
    return true;
  }
  return false;
}

// `queue: { size: 1000, timeout: 5s }`: where requests over max_connections wait.
Row upstream_queue_row() {
  return custom<Config>(
      "queue", "{ size: integer 0 to 1000000, timeout: duration, more than 0 }", Apply::Reload,
      "requests over max_connections wait here, first come first served; one that finds it "
      "full or waits longer than timeout gets stale_if_error's entry or 503 with Retry-After",
      at(&Config::upstream, &UpstreamConfig::queue),
      [](JsonWriter& w, const UpstreamQueueConfig& q) {
        w.begin_object();
        w.key("size");
        w.value(static_cast<uint64_t>(q.size));
        w.key("timeout");
        w.value(format_duration(q.timeout));
        w.end_object();
      },
      [](YamlReader& r, const Field& f, Config& c) {
        YamlReader::Section s = r.section(f, {"size", "timeout"});
        if (!s.is_map()) return;
        UpstreamQueueConfig q = c.upstream.queue;
        if (const Field* size = s.find("size")) {
          if (auto n = r.integer(*size, 0, 1'000'000)) q.size = static_cast<uint32_t>(*n);
        }
        if (const Field* timeout = s.find("timeout")) {
          if (auto d = r.duration(*timeout)) {
            if (d->count() == 0) {
              r.error(*timeout, "must be longer than 0");
            } else {
              q.timeout = *d;
            }
          }
        }
        c.upstream.queue = q;
      });
}

// Reads a duration key of a block mapping into `out`; `positive`: 0 is refused.
void read_block_duration(YamlReader& r, const YamlReader::Section& s, std::string_view key,
                         bool positive, Duration& out) {
  const Field* f = s.find(key);
  if (f == nullptr) return;
  std::optional<Duration> d = r.duration(*f);
  if (!d) return;
  if (positive && d->count() == 0) {
    r.error(*f, "must be longer than 0");
    return;
  }
  out = *d;
}

void read_block_count(YamlReader& r, const YamlReader::Section& s, std::string_view key,
                      uint64_t min, uint64_t max, uint32_t& out) {
  const Field* f = s.find(key);
  if (f == nullptr) return;
  if (auto n = r.integer(*f, min, max)) out = static_cast<uint32_t>(*n);
}

// `health_check: { path: /health, interval: 2s, timeout: 1s, fails: 3, passes: 2 }`, or off.
Row health_check_row() {
  return custom<Config>(
      "health_check",
      "off, or { path, interval: duration, timeout: duration, fails: 1 to 100, passes: 1 to 100 }",
      Apply::Reload,
      "probe every server with GET path from one place; fails failed probes in a row take it "
      "out, passes in a row bring it back",
      at(&Config::upstream, &UpstreamConfig::health_check),
      [](JsonWriter& w, const HealthCheckConfig& h) {
        if (!h.enabled) {
          w.value("off");
          return;
        }
        w.begin_object();
        w.key("path");
        w.value(h.path);
        w.key("interval");
        w.value(format_duration(h.interval));
        w.key("timeout");
        w.value(format_duration(h.timeout));
        w.key("fails");
        w.value(static_cast<uint64_t>(h.fails));
        w.key("passes");
        w.value(static_cast<uint64_t>(h.passes));
        w.end_object();
      },
      [](YamlReader& r, const Field& f, Config& c) {
        HealthCheckConfig h;
        if (YamlReader::is_off(f)) {
          c.upstream.health_check = h;
          return;
        }
        YamlReader::Section s = r.section(f, {"path", "interval", "timeout", "fails", "passes"});
        if (!s.is_map()) return;
        h.enabled = true;
        if (const Field* path = s.find("path")) {
          if (auto p = r.string(*path)) {
            bool ok = !p->empty() && p->front() == '/' &&
                      std::none_of(p->begin(), p->end(), [](char ch) {
                        return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f;
                      });
            if (ok) {
              h.path = *p;
            } else {
              r.error(*path, "expected a path starting with / and without spaces, e.g. /health");
            }
          }
        }
        read_block_duration(r, s, "interval", true, h.interval);
        read_block_duration(r, s, "timeout", true, h.timeout);
        read_block_count(r, s, "fails", 1, 100, h.fails);
        read_block_count(r, s, "passes", 1, 100, h.passes);
        if (h.timeout > h.interval && !r.any_failed(s, {"interval", "timeout"})) {
          r.error(s.find("timeout") ? *s.find("timeout") : f,
                  "the timeout must not be longer than the interval between probes");
        }
        c.upstream.health_check = h;
      });
}

// `passive: { fails: 5, within: 10s, eject_for: 30s }`, or off.
Row passive_row() {
  return custom<Config>(
      "passive", "off, or { fails: 1 to 1000, within: duration, eject_for: duration }",
      Apply::Reload,
      "a server whose real requests fail (connection errors, timeouts) fails times within "
      "within is ejected for eject_for",
      at(&Config::upstream, &UpstreamConfig::passive),
      [](JsonWriter& w, const PassiveCheckConfig& p) {
        if (!p.enabled) {
          w.value("off");
          return;
        }
        w.begin_object();
        w.key("fails");
        w.value(static_cast<uint64_t>(p.fails));
        w.key("within");
        w.value(format_duration(p.within));
        w.key("eject_for");
        w.value(format_duration(p.eject_for));
        w.end_object();
      },
      [](YamlReader& r, const Field& f, Config& c) {
        PassiveCheckConfig p;
        if (YamlReader::is_off(f)) {
          c.upstream.passive = p;
          return;
        }
        YamlReader::Section s = r.section(f, {"fails", "within", "eject_for"});
        if (!s.is_map()) return;
        p.enabled = true;
        read_block_count(r, s, "fails", 1, 1000, p.fails);
        read_block_duration(r, s, "within", true, p.within);
        read_block_duration(r, s, "eject_for", true, p.eject_for);
        c.upstream.passive = p;
      });
}

// `retry: { tries: 2 }`.
Row retry_row() {
  return custom<Config>(
      "retry", "{ tries: 1 to 10 }", Apply::Reload,
      "attempts in all, each on another server, for an idempotent request that failed before "
      "any response byte came back; 1: none",
      at(&Config::upstream, &UpstreamConfig::retry),
      [](JsonWriter& w, const RetryConfig& rc) {
        w.begin_object();
        w.key("tries");
        w.value(static_cast<uint64_t>(rc.tries));
        w.end_object();
      },
      [](YamlReader& r, const Field& f, Config& c) {
        YamlReader::Section s = r.section(f, {"tries"});
        if (!s.is_map()) return;
        RetryConfig rc;
        read_block_count(r, s, "tries", 1, 10, rc.tries);
        c.upstream.retry = rc;
      });
}

// ---- cache -------------------------------------------------------------------------------

Row status_header_row() {
  return custom<Config>(
      "status_header", "header name | off", Apply::Reload,
      "response header saying how etagd served it (HIT, MISS, ...); off sends none",
      at(&Config::cache, &CacheConfig::status_header),
      [](JsonWriter& w, const std::string& name) { w.value(name.empty() ? "off" : name); },
      [](YamlReader& r, const Field& f, Config& c) {
        std::optional<std::string> name = r.string(f);
        if (!name) return;
        if (YamlReader::is_off_word(*name)) {
          c.cache.status_header.clear();
        } else if (YamlReader::is_on_word(*name)) {
          r.error(f, concat("expected a header name such as X-Cache, or off; found '", *name,
                            "'"));
        } else if (!http::is_token(*name)) {
          r.error(f, concat("'", *name, "' is not a valid header field name (RFC 9110 §5.1)"));
        } else if (http::is_hop_by_hop(*name)) {
          r.error(f, concat("'", *name, "' is a hop-by-hop field (RFC 9110 §7.6.1)"));
        } else {
          c.cache.status_header = *name;
        }
      });
}

// The budget is split evenly between shards; an object above one shard's share would be
// stored and evicted at once, so such a setting is a mistake worth pointing out, with the
// three ways out in the units the file uses.
void check_cache(YamlReader& r, const Field& f, const YamlReader::Section& s, Config& c) {
  if (r.any_failed(s, {"max_memory", "max_object_size", "shards"})) return;
  const CacheConfig& out = c.cache;
  uint64_t per_shard = out.max_memory / out.shards;
  if (out.max_memory == 0 || out.max_object_size <= per_shard) return;
  const Field* object_field = s.find("max_object_size");
  const Field* memory_field = s.find("max_memory");
  const Field* at_field = object_field ? object_field : &f;
  auto written = [](const Field* field, uint64_t value) {
    return field != nullptr && field->node.IsScalar() ? field->node.Scalar() : format_size(value);
  };
  std::string object_text = written(object_field, out.max_object_size);
  std::string memory_text = written(memory_field, out.max_memory);
  std::string ways =
      concat("lower max_object_size to at most ", format_size_like(per_shard, object_text));
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
  r.warning(*at_field, concat("max_object_size (", object_text,
                              ") is larger than one shard's share of max_memory (", memory_text,
                              " / ", std::to_string(out.shards), " shards = ",
                              format_size_like(per_shard, memory_text),
                              "), so such objects would never be cached; ", ways));
}

// ---- log ---------------------------------------------------------------------------------

// A log destination: stdout, stderr, an absolute path, and `off` where allowed. A relative
// path would depend on the daemon's working directory.
Row log_destination_row(std::string_view name, std::string LogConfig::*member, bool allow_off,
                        std::string_view doc) {
  return custom<Config>(
      name, allow_off ? "off | stdout | stderr | absolute path" : "stdout | stderr | absolute path",
      Apply::Reload, doc, at(&Config::log, member),
      [](JsonWriter& w, const std::string& v) { w.value(v); },
      [member, allow_off](YamlReader& r, const Field& f, Config& c) {
        std::optional<std::string> v = r.string(f);
        if (!v) return;
        std::string& out = c.log.*member;
        if (*v == "stdout" || *v == "stderr") {
          out = *v;
        } else if (allow_off && YamlReader::is_off_word(*v)) {
          out = "off";
        } else if (!v->empty() && v->front() == '/') {
          out = *v;
        } else {
          r.error(f, concat("expected ", allow_off ? "off, " : "",
                            "stdout, stderr or an absolute file path, found '", *v, "'"));
        }
      });
}

// ---- admin and fleet ---------------------------------------------------------------------

Row admin_listen_row() {
  Row s;
  s.name = "listen";
  s.type = "host:port";
  s.apply = Apply::Restart;
  s.doc = "address of the admin API; keep it on loopback or a management network";
  s.read = [](YamlReader& r, const Field& f, Config& c) {
    if (f.node.IsScalar() && is_bare_port(f.node.Scalar())) {
      // Unlike the public `listen`, never every address: the admin API purges and reveals.
      r.error(f, concat("give the address too, e.g. 127.0.0.1:", f.node.Scalar(),
                        "; the admin API must not listen on every address by accident"));
    } else if (auto a = read_address(r, f, std::nullopt)) {
      c.admin.listen = std::move(*a);
    }
  };
  s.write = [](JsonWriter& w, const Config& c) { w.value(c.admin.listen.text); };
  s.same = [](const Config& a, const Config& b) {
    return same_address(a.admin.listen, b.admin.listen);
  };
  s.copy = [](Config& to, const Config& from) { to.admin.listen = from.admin.listen; };
  return s;
}

Row redis_row() {
  Row s;
  s.name = "redis";
  s.type = "host[:port]";
  s.apply = Apply::Restart;
  s.doc = "the Redis server the fleet shares invalidations through (port 6379 when left out)";
  s.read = [](YamlReader& r, const Field& f, Config& c) {
    if (auto a = read_address(r, f, uint16_t{6379})) {
      c.fleet.redis_host = a->host;
      c.fleet.redis_port = a->port;
    }
  };
  s.write = [](JsonWriter& w, const Config& c) {
    w.value(host_port_text(c.fleet.redis_host, c.fleet.redis_port));
  };
  s.same = [](const Config& a, const Config& b) {
    return a.fleet.redis_host == b.fleet.redis_host && a.fleet.redis_port == b.fleet.redis_port;
  };
  s.copy = [](Config& to, const Config& from) {
    to.fleet.redis_host = from.fleet.redis_host;
    to.fleet.redis_port = from.fleet.redis_port;
  };
  return s;
}

// Channel and instance id travel inside Redis commands and log lines: visible characters only.
Row visible_word_row(std::string_view name, std::string FleetConfig::*member,
                     std::string_view doc) {
  return custom<Config>(
      name, "text without spaces", Apply::Restart, doc, at(&Config::fleet, member),
      [](JsonWriter& w, const std::string& v) { w.value(v); },
      [member](YamlReader& r, const Field& f, Config& c) {
        std::optional<std::string> text = r.string(f);
        if (!text) return;
        bool visible = !text->empty() && std::all_of(text->begin(), text->end(), [](char ch) {
          return static_cast<unsigned char>(ch) > 0x20 && ch != 0x7f;
        });
        if (!visible) {
          r.error(f, "must be non-empty, without spaces or control characters");
          return;
        }
        c.fleet.*member = *text;
      });
}

void check_fleet(YamlReader& r, const Field& f, const YamlReader::Section& s, Config& c) {
  if (r.any_failed(s, {"reconnect_min", "reconnect_max"})) return;
  if (c.fleet.reconnect_max >= c.fleet.reconnect_min) return;
  const Field* at_field = s.find("reconnect_max") ? s.find("reconnect_max") : &f;
  r.error(*at_field, "reconnect_max must not be shorter than reconnect_min");
}

std::vector<SettingsBlock> make_blocks() {
  std::vector<SettingsBlock> blocks;

  SettingsBlock top;
  top.doc = "settings outside any block";
  top.settings = {listen_row(), trusted_proxies_row(), targeted_cache_control_row(), workers_row()};
  blocks.push_back(std::move(top));

  SettingsBlock upstream;
  upstream.name = "upstream";
  upstream.doc = "the origin server(s) every request is forwarded to";
  upstream.required = "the origin server, e.g. upstream: http://127.0.0.1:9000";
  upstream.read_other = read_upstream_shorthand;
  upstream.check = check_upstream;
  upstream.settings = {
      upstream_url_row(),
      upstream_servers_row(),
      upstream_tls_row(),
      host_header_row(),
      count<Config>("max_idle", at(&Config::upstream, &UpstreamConfig::max_idle), 0, 100'000,
                    Apply::Reload, "idle keep-alive connections kept open per worker"),
      duration<Config>("idle_timeout", at(&Config::upstream, &UpstreamConfig::idle_timeout),
                       true, Apply::Reload,
                       "an idle pooled connection is closed after this; keep it below the "
                       "origin's own keep-alive timeout"),
      word<Config, ForwardedHeader>(
          "forwarded", at(&Config::upstream, &UpstreamConfig::forwarded),
          {{"rfc7239", ForwardedHeader::Rfc7239}, {"off", ForwardedHeader::Off}}, Apply::Reload,
          "also send the standard Forwarded field (RFC 7239) beside X-Forwarded-*"),
      count<Config>("max_connections", at(&Config::upstream, &UpstreamConfig::max_connections),
                    0, 100'000, Apply::Reload,
                    "requests in flight to the origin, all workers together (cache hits never "
                    "count); more wait in queue; 0: no limit"),
      upstream_queue_row(),
      health_check_row(),
      passive_row(),
      retry_row(),
      duration<Config>("slow_start", at(&Config::upstream, &UpstreamConfig::slow_start), false,
                       Apply::Reload,
                       "a server that comes back gets its share of requests back gradually "
                       "over this long (0s: at once)"),
  };
  blocks.push_back(std::move(upstream));

  SettingsBlock timeouts;
  timeouts.name = "timeouts";
  timeouts.doc = "how long etagd waits for each party";
  auto timeout = [](std::string_view name, Duration Timeouts::*member, bool positive,
                    std::string_view doc) {
    return duration<Config>(name, at(&Config::timeouts, member), positive, Apply::Reload, doc);
  };
  timeouts.settings = {
      timeout("client_header", &Timeouts::client_header, true,
              "first byte to end of the request head; 408 after (slowloris defence)"),
      timeout("client_body", &Timeouts::client_body, true, "between two reads of a request body"),
      timeout("client_idle", &Timeouts::client_idle, true,
              "a keep-alive connection waiting for its next request is closed after this"),
      timeout("client_send", &Timeouts::client_send, true,
              "a client that reads nothing of its response for this long is dropped"),
      duration_or_off<Config>("client_ping", at(&Config::timeouts, &Timeouts::client_ping),
                              Apply::Reload,
                              "an HTTP/2 connection with streams open that received nothing for "
                              "this long gets a PING; no answer within as long again: GOAWAY, "
                              "close (off: no PINGs)"),
      timeout("upstream_connect", &Timeouts::upstream_connect, true,
              "504 when the origin does not accept the connection in time"),
      timeout("upstream_read", &Timeouts::upstream_read, true,
              "between two reads of the origin's response; 504 after"),
      // 0 is meaningful here: stop at once, dropping whatever is in flight.
      timeout("shutdown", &Timeouts::shutdown, false,
              "on SIGTERM, in-flight requests get this long to finish (0s: stop at once)"),
  };
  blocks.push_back(std::move(timeouts));

  SettingsBlock limits;
  limits.name = "limits";
  limits.doc = "protection against oversized or abusive requests";
  limits.settings = {
      // Below 1 KiB even an ordinary browser request would get 431.
      size<Config>("max_header_bytes", at(&Config::limits, &Limits::max_header_bytes), 1024,
                   UINT64_MAX, "", Apply::Reload, "request line plus headers; 431 above"),
      count<Config>("max_headers", at(&Config::limits, &Limits::max_headers), 1, 10'000,
                    Apply::Reload, "header lines per request; 431 above"),
      size<Config>("max_request_body", at(&Config::limits, &Limits::max_request_body), 0,
                   UINT64_MAX, "", Apply::Reload, "413 above; raise it for uploads"),
      count<Config>("max_connections", at(&Config::limits, &Limits::max_connections), 1, kU32Max,
                    Apply::Restart,
                    "client connections for the whole process; one over it is answered 503"),
      // RFC 9113 §6.5.2 recommends no fewer than 100, so as not to limit parallelism.
      count<Config>("max_concurrent_streams",
                    at(&Config::limits, &Limits::max_concurrent_streams), 1, 10'000,
                    Apply::Reload,
                    "HTTP/2 streams one connection may have open at once "
                    "(SETTINGS_MAX_CONCURRENT_STREAMS); one beyond it is refused"),
      count<Config>("stream_resets_per_second",
                    at(&Config::limits, &Limits::stream_resets_per_second), 1, 100'000,
                    Apply::Reload,
                    "HTTP/2 streams a client may reset per second, in bursts of twice this; "
                    "faster gets GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487)"),
  };
  blocks.push_back(std::move(limits));

  SettingsBlock cache;
  cache.name = "cache";
  cache.doc = "the shared in-memory cache";
  cache.check = check_cache;
  cache.settings = {
      size<Config>("max_memory", at(&Config::cache, &CacheConfig::max_memory), 0, UINT64_MAX, "",
                   Apply::Restart,
                   "everything cached entries hold counts against this; least recently used "
                   "entries are evicted beyond it"),
      size<Config>("max_object_size", at(&Config::cache, &CacheConfig::max_object_size), 0,
                   CacheConfig::kMaxObjectSizeLimit, "a stored body is held in memory whole",
                   Apply::Reload, "responses with larger bodies stream through, never stored"),
      count<Config, uint32_t>(
          "shards", at(&Config::cache, &CacheConfig::shards), 1, 4096, Apply::Restart,
          "independently locked parts of the cache, a power of two; each gets max_memory / shards",
          // The shard is picked by masking the key hash.
          [](uint64_t n) {
            return (n & (n - 1)) == 0
                       ? std::string()
                       : concat(std::to_string(n), " is not a power of two (1, 2, 4, ... 4096)");
          }),
      status_header_row(),
      duration<Config>("coalesce_timeout", at(&Config::cache, &CacheConfig::coalesce_timeout),
                       true, Apply::Reload,
                       "requests waiting for another's fetch of the same URL go upstream "
                       "themselves after this"),
      duration<Config>("heuristic_max", at(&Config::cache, &CacheConfig::heuristic_max), false,
                       Apply::Reload,
                       "under ttl: origin, a response with Last-Modified and no explicit "
                       "freshness stays fresh for 10% of its age since Last-Modified, at most "
                       "this (RFC 9111 §4.2.2); 0s turns it off"),
  };
  blocks.push_back(std::move(cache));

  SettingsBlock log;
  log.name = "log";
  log.doc = "the error log and the access log";
  log.settings = {
      word<Config, LogLevel>("level", at(&Config::log, &LogConfig::level),
                             {{"trace", LogLevel::Trace},
                              {"debug", LogLevel::Debug},
                              {"info", LogLevel::Info},
                              {"warn", LogLevel::Warn},
                              {"error", LogLevel::Error},
                              {"critical", LogLevel::Critical},
                              {"off", LogLevel::Off}},
                             Apply::Reload, "the least severe error log lines written"),
      log_destination_row("error_log", &LogConfig::error_log, false,
                          "where the error log goes (stderr: the journal under systemd)"),
      log_destination_row("access_log", &LogConfig::access_log, true,
                          "where the access log goes, one line per request"),
      word<Config, LogFormat>("access_format", at(&Config::log, &LogConfig::access_format),
                              {{"text", LogFormat::Text},
                               {"json", LogFormat::Json},
                               {"combined", LogFormat::Combined}},
                              Apply::Reload,
                              "access log lines: etagd's fields, one JSON object, or nginx's "
                              "combined format with the cache status appended"),
  };
  blocks.push_back(std::move(log));

  SettingsBlock admin;
  admin.name = "admin";
  admin.doc = "the admin API (/metrics, /healthz, /config, /purge) on a private address";
  admin.enabled = at(&Config::admin, &AdminConfig::enabled);
  admin.read_other = [](YamlReader& r, const Field& f, Config&) {
    if (!f.node.IsScalar()) return false;
    r.error(f, "expected `off` or a mapping such as { listen: \"127.0.0.1:9091\" }");
    return true;
  };
  admin.settings = {admin_listen_row()};
  blocks.push_back(std::move(admin));

  SettingsBlock fleet;
  fleet.name = "fleet";
  fleet.doc = "several instances sharing invalidations over Redis pub/sub; absent: run alone";
  fleet.enabled = at(&Config::fleet, &FleetConfig::enabled);
  fleet.read_other = [](YamlReader& r, const Field& f, Config&) {
    if (!f.node.IsScalar()) return false;
    r.error(f, "expected `off` or a mapping such as { redis: \"127.0.0.1:6379\" }");
    return true;
  };
  fleet.check = check_fleet;
  Row instance_id = visible_word_row("instance_id", &FleetConfig::instance_id,
                                     "identifies this instance's messages");
  instance_id.default_text = "hostname:pid";
  auto fleet_duration = [](std::string_view name, Duration FleetConfig::*member, bool positive,
                           std::string_view doc) {
    return duration<Config>(name, at(&Config::fleet, member), positive, Apply::Restart, doc);
  };
  fleet.settings = {
      redis_row(),
      visible_word_row("channel", &FleetConfig::channel,
                       "pub/sub channel every instance of the fleet uses"),
      std::move(instance_id),
      fleet_duration("reconnect_min", &FleetConfig::reconnect_min, true,
                     "the first back-off between reconnection attempts; it doubles after each"),
      fleet_duration("reconnect_max", &FleetConfig::reconnect_max, true,
                     "the longest back-off between reconnection attempts"),
      fleet_duration("max_staleness", &FleetConfig::max_staleness, false,
                     "while not subscribed, a hit older than this is revalidated upstream (0s: "
                     "every hit)"),
  };
  blocks.push_back(std::move(fleet));
  return blocks;
}

}  // namespace

const std::vector<Setting<ListenerConfig>>& listener_settings() {
  static const std::vector<Setting<ListenerConfig>> settings = make_listener_settings();
  return settings;
}

const std::vector<Setting<UpstreamTls>>& upstream_tls_settings() {
  static const std::vector<Setting<UpstreamTls>> settings = make_upstream_tls_settings();
  return settings;
}

const std::vector<SettingsBlock>& settings_blocks() {
  static const std::vector<SettingsBlock> blocks = make_blocks();
  return blocks;
}

}  // namespace etagd::config
