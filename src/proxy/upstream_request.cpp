#include "proxy/upstream_request.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "http/field_writer.h"
#include "http/hop_by_hop.h"
#include "http/http_date.h"
#include "http/token.h"
#include "proxy/representation_encoding.h"

namespace etagd::proxy {

namespace {

using http::append_field;

// The fields that say who the client is and how it reached us (client_identity.h): written by
// etagd, from a trusted proxy's values or its own.
bool is_forwarding_field(std::string_view name) {
  return http::iequals(name, "x-forwarded-for") || http::iequals(name, "x-forwarded-proto") ||
         http::iequals(name, "x-forwarded-host") || http::iequals(name, "x-forwarded-port") ||
         http::iequals(name, "forwarded");
}

// Fields etagd writes itself or must not pass on, beyond the hop-by-hop set.
bool replaced_by_proxy(std::string_view name, const UpstreamRequestOptions& options) {
  if (http::iequals(name, "host") || http::iequals(name, "content-length") ||
      http::iequals(name, "expect") || http::iequals(name, "via") || is_forwarding_field(name)) {
    return true;
  }
  if (options.strip_conditionals) {
    bool range = http::iequals(name, "if-range") || http::iequals(name, "range");
    return http::iequals(name, "if-none-match") || http::iequals(name, "if-modified-since") ||
           http::iequals(name, "if-match") || http::iequals(name, "if-unmodified-since") ||
           (range && !options.keep_range);
  }
  return false;
}

// Writes the combined value of every `name` line, then `last`.
void append_list_with(std::string& s, const http::HeaderList& headers, std::string_view name,
                      std::string_view last) {
  for (const http::HeaderField& f : headers) {
    if (!http::iequals(f.name, name) || f.value.empty()) continue;
    s.append(f.value);
    s += ", ";
  }
  s.append(last);
}

// An RFC 7239 value: a token as it is, anything else as a quoted-string.
void append_forwarded_value(std::string& s, std::string_view v) {
  bool token = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return http::is_token_char(static_cast<unsigned char>(c));
  });
  if (token) {
    s.append(v);
    return;
  }
  s += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') s += '\\';
    s += c;
  }
  s += '"';
}

// Our element of Forwarded (RFC 7239 §4): for= the peer (an IPv6 address in brackets, §6),
// proto= the scheme it used, host= the Host it asked for.
void append_forwarded_element(std::string& s, const ClientIdentity& c, std::string_view host) {
  s += "for=";
  if (c.peer.find(':') != std::string::npos) {
    append_forwarded_value(s, "[" + c.peer + "]");
  } else {
    append_forwarded_value(s, c.peer);
  }
  s += ";proto=";
  append_forwarded_value(s, c.scheme);
  if (!host.empty()) {
    s += ";host=";
    append_forwarded_value(s, host);
  }
}

}  // namespace

void write_upstream_request_head(evbuffer* out, const http::RequestHead& req,
                                 const config::UpstreamConfig& upstream,
                                 const UpstreamRequestOptions& options) {
  std::string head;
  std::string_view target = options.target.empty() ? req.target : options.target;
  head.reserve(512 + target.size());
  std::string_view method = options.method == http::Method::Other
                                ? options.method_token
                                : http::method_name(options.method);
  head.append(method);
  head += ' ';
  std::string_view base_path = options.per_server ? options.base_path : upstream.base_path;
  std::string_view authority = options.per_server ? options.authority : upstream.authority;
  head.append(base_path);
  head.append(target);
  head += " HTTP/1.1\r\n";

  switch (upstream.host_header) {
    case config::HostHeader::Forward:
      append_field(head, "Host", req.host.empty() ? authority : req.host);
      break;
    case config::HostHeader::Upstream:
      append_field(head, "Host", authority);
      break;
    case config::HostHeader::Fixed:
      append_field(head, "Host", upstream.fixed_host);
      break;
  }

  const http::ConnectionOptions connection(req.headers);
  for (const http::HeaderField& f : req.headers) {
    if (replaced_by_proxy(f.name, options)) continue;
    if (connection.is_specific(f.name)) continue;
    if (options.etag_codings &&
        (http::iequals(f.name, "if-none-match") || http::iequals(f.name, "if-match"))) {
      std::string with_identity = with_identity_etags(f.value, *options.etag_codings);
      append_field(head, f.name, with_identity.empty() ? f.value : with_identity);
      continue;
    }
    append_field(head, f.name, f.value);
  }

  if (!options.if_none_match.empty()) append_field(head, "If-None-Match", options.if_none_match);
  if (options.if_modified_since) {
    char date[http::kHttpDateLength];
    http::format_http_date(*options.if_modified_since, date);
    append_field(head, "If-Modified-Since", std::string_view(date, sizeof date));
  }

  // X-Forwarded-* is what legacy upstreams read. A trusted proxy's values are kept (repeated
  // lines form one list, RFC 9110 §5.3: every earlier hop in order, our peer last); anyone
  // else's are replaced by what etagd knows (client_identity.h).
  const ClientIdentity& client = *options.client;
  head += "X-Forwarded-For: ";
  if (client.trusted_peer) {
    append_list_with(head, req.headers, "x-forwarded-for", client.peer);
  } else {
    head.append(client.peer);
  }
  head += "\r\n";
  // A trusted proxy's value when it sent one, else what etagd saw itself.
  auto forwarded = [&](std::string_view name, std::string_view ours) {
    std::string_view theirs = client.trusted_peer ? req.headers.get(name) : std::string_view();
    if (theirs.empty() && ours.empty()) return;
    head.append(name).append(": ").append(theirs.empty() ? ours : theirs).append("\r\n");
  };
  char port[8];
  auto [port_end, ec] = std::to_chars(port, port + sizeof port, client.port);
  forwarded("X-Forwarded-Proto", client.scheme);
  forwarded("X-Forwarded-Host", req.host);
  forwarded("X-Forwarded-Port",
            client.port == 0 ? std::string_view() : std::string_view(port, port_end - port));
  if (upstream.forwarded == config::ForwardedHeader::Rfc7239) {
    head += "Forwarded: ";
    if (client.trusted_peer) {
      for (const http::HeaderField& f : req.headers) {
        if (!http::iequals(f.name, "forwarded") || f.value.empty()) continue;
        head.append(f.value);
        head += ", ";
      }
    }
    append_forwarded_element(head, client, req.host);
    head += "\r\n";
  } else if (client.trusted_peer) {
    for (const http::HeaderField& f : req.headers) {
      if (http::iequals(f.name, "forwarded")) append_field(head, f.name, f.value);
    }
  }
  // RFC 9110 §7.6.3: a proxy adds itself to Via.
  head += "Via: ";
  append_list_with(head, req.headers, "via",
                   req.version_major == 2   ? "2 etagd"
                   : req.version_minor == 0 ? "1.0 etagd"
                                            : "1.1 etagd");
  head += "\r\n";

  bool method_has_body = options.method == http::Method::Post ||
                         options.method == http::Method::Put ||
                         options.method == http::Method::Patch;
  if (options.body_length > 0 || method_has_body) {
    head += "Content-Length: ";
    head += std::to_string(options.body_length);
    head += "\r\n";
  }
  head += "\r\n";
  evbuffer_add(out, head.data(), head.size());
}

}  // namespace etagd::proxy
