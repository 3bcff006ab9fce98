#include "ops/config_dump.h"

#include <fmt/format.h>

#include "base/json_writer.h"
#include "http/method.h"

namespace etagd::ops {

using base::JsonWriter;

namespace {

std::string_view log_level_name(config::LogLevel l) {
  switch (l) {
    case config::LogLevel::Trace: return "trace";
    case config::LogLevel::Debug: return "debug";
    case config::LogLevel::Info: return "info";
    case config::LogLevel::Warn: return "warn";
    case config::LogLevel::Error: return "error";
    case config::LogLevel::Critical: return "critical";
    case config::LogLevel::Off: return "off";
  }
  return "info";
}

std::string_view access_format_name(config::LogFormat f) {
  switch (f) {
    case config::LogFormat::Text: return "text";
    case config::LogFormat::Json: return "json";
    case config::LogFormat::Combined: return "combined";
  }
  return "text";
}

std::string_view cache_mode_name(config::CacheMode m) {
  switch (m) {
    case config::CacheMode::Store: return "store";
    case config::CacheMode::Validate: return "validate";
    case config::CacheMode::Bypass: return "bypass";
  }
  return "store";
}

std::string_view host_header_name(config::HostHeader h) {
  switch (h) {
    case config::HostHeader::Forward: return "forward";
    case config::HostHeader::Upstream: return "upstream";
    case config::HostHeader::Fixed: return "fixed";
  }
  return "forward";
}

void write_match(JsonWriter& w, const config::RuleMatch& m) {
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
    case config::PathMatchKind::Any: break;
    case config::PathMatchKind::Exact: w.key("path").value(m.path); break;
    case config::PathMatchKind::Prefix: w.key("prefix").value(m.path); break;
    case config::PathMatchKind::Glob: w.key("glob").value(m.path); break;
  }
  w.end_object();
}

void write_optional(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  if (v) w.key(key).value(*v);
}

void write_actions(JsonWriter& w, const config::RuleActions& a) {
  w.key("cache").value(cache_mode_name(a.cache));
  w.key("ttl").value(a.ttl.from_origin ? std::string("origin") : format_duration(a.ttl.value));
  w.key("key_headers").begin_array();
  for (const std::string& h : a.key_headers) w.value(h);
  w.end_array();
  w.key("key_cookies").begin_array();
  for (const std::string& c : a.key_cookies) w.value(c);
  w.end_array();
  w.key("cache_control").begin_object();
  write_optional(w, "2xx", a.cache_control.status_2xx);
  write_optional(w, "3xx", a.cache_control.status_3xx);
  write_optional(w, "4xx", a.cache_control.status_4xx);
  write_optional(w, "5xx", a.cache_control.status_5xx);
  write_optional(w, "other", a.cache_control.other);
  w.end_object();
  w.key("invalidate").begin_array();
  for (const config::InvalidateTarget& t : a.invalidate) {
    switch (t.kind) {
      case config::InvalidateTarget::Kind::Literal: w.value(t.value); break;
      case config::InvalidateTarget::Kind::Path: w.value("$path"); break;
      case config::InvalidateTarget::Kind::Parent: w.value("$parent"); break;
    }
  }
  w.end_array();
  w.key("headers").begin_object();
  w.key("remove").begin_array();
  for (const std::string& name : a.headers.remove) w.value(name);
  w.end_array();
  for (auto [which, list] : {std::pair{"set", &a.headers.set}, std::pair{"add", &a.headers.add}}) {
    w.key(which).begin_object();
    for (const auto& [name, value] : *list) w.key(name).value(value);
    w.end_object();
  }
  w.end_object();
  w.key("etag").value(a.etag == config::EtagPolicy::Generate ? "generate" : "preserve");
  w.key("stale_if_error").value(format_duration(a.stale_if_error));
  w.key("stale_while_revalidate").value(format_duration(a.stale_while_revalidate));
  w.key("ignore_upstream_cache_control").value(a.ignore_upstream_cache_control);
}

}  // namespace

std::string dump_config(const config::Config& c) {
  JsonWriter w(/*pretty=*/true);
  w.begin_object();
  w.key("source").value(c.source_path);
  w.key("listen").begin_array();
  for (const config::ListenAddress& l : c.listen) w.value(l.text);
  w.end_array();

  w.key("upstream").begin_object();
  w.key("url").value(c.upstream.url);
  // As the file writes it: forward, upstream, or the literal host to send.
  w.key("host_header")
      .value(c.upstream.host_header == config::HostHeader::Fixed
                 ? std::string_view(c.upstream.fixed_host)
                 : host_header_name(c.upstream.host_header));
  w.key("max_idle").value(c.upstream.max_idle);
  w.key("idle_timeout").value(format_duration(c.upstream.idle_timeout));
  w.key("forwarded").value(c.upstream.forwarded == config::ForwardedHeader::Rfc7239 ? "rfc7239"
                                                                                     : "off");
  w.end_object();

  w.key("trusted_proxies").begin_array();
  for (const config::IpNetwork& n : c.trusted_proxies) w.value(n.to_string());
  w.end_array();

  if (c.workers == 0) {
    w.key("workers").value("auto");
  } else {
    w.key("workers").value(c.workers);
  }

  const config::Timeouts& t = c.timeouts;
  w.key("timeouts").begin_object();
  w.key("client_header").value(format_duration(t.client_header));
  w.key("client_body").value(format_duration(t.client_body));
  w.key("client_idle").value(format_duration(t.client_idle));
  w.key("client_send").value(format_duration(t.client_send));
  w.key("upstream_connect").value(format_duration(t.upstream_connect));
  w.key("upstream_read").value(format_duration(t.upstream_read));
  w.key("shutdown").value(format_duration(t.shutdown));
  w.end_object();

  w.key("limits").begin_object();
  w.key("max_header_bytes").value(format_size(c.limits.max_header_bytes));
  w.key("max_headers").value(c.limits.max_headers);
  w.key("max_request_body").value(format_size(c.limits.max_request_body));
  w.key("max_connections").value(c.limits.max_connections);
  w.end_object();

  w.key("cache").begin_object();
  w.key("max_memory").value(format_size(c.cache.max_memory));
  w.key("max_object_size").value(format_size(c.cache.max_object_size));
  w.key("shards").value(c.cache.shards);
  w.key("status_header").value(c.cache.status_header);
  w.key("coalesce_timeout").value(format_duration(c.cache.coalesce_timeout));
  w.end_object();

  w.key("log").begin_object();
  w.key("level").value(log_level_name(c.log.level));
  w.key("error_log").value(c.log.error_log);
  w.key("access_log").value(c.log.access_log);
  w.key("access_format").value(access_format_name(c.log.access_format));
  w.end_object();

  // `admin: off` / `fleet: off` as in the file, or the block.
  if (c.admin.enabled) {
    w.key("admin").begin_object();
    w.key("listen").value(c.admin.listen.text);
    w.end_object();
  } else {
    w.key("admin").value("off");
  }

  if (c.fleet.enabled) {
    w.key("fleet").begin_object();
    bool ipv6 = c.fleet.redis_host.find(':') != std::string::npos;
    w.key("redis").value(ipv6 ? fmt::format("[{}]:{}", c.fleet.redis_host, c.fleet.redis_port)
                              : fmt::format("{}:{}", c.fleet.redis_host, c.fleet.redis_port));
    w.key("channel").value(c.fleet.channel);
    w.key("instance_id").value(c.fleet.instance_id);
    w.key("reconnect_min").value(format_duration(c.fleet.reconnect_min));
    w.key("reconnect_max").value(format_duration(c.fleet.reconnect_max));
    w.key("max_staleness").value(format_duration(c.fleet.max_staleness));
    w.end_object();
  } else {
    w.key("fleet").value("off");
  }

  w.key("defaults").begin_object();
  write_actions(w, c.rules.defaults());
  w.end_object();

  w.key("rules").begin_array();
  for (const config::Rule& r : c.rules.rules()) {
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

}  // namespace etagd::ops
