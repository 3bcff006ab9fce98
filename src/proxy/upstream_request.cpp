#include "proxy/upstream_request.h"

#include <string>

#include "http/field_writer.h"
#include "http/hop_by_hop.h"
#include "http/http_date.h"
#include "http/token.h"

namespace etagd::proxy {

namespace {

using http::append_field;

// Fields etagd writes itself or must not pass on, beyond the hop-by-hop set.
bool replaced_by_proxy(std::string_view name, bool strip_conditionals) {
  if (http::iequals(name, "host") || http::iequals(name, "content-length") ||
      http::iequals(name, "expect") || http::iequals(name, "x-forwarded-for") ||
      http::iequals(name, "x-forwarded-proto") || http::iequals(name, "via")) {
    return true;
  }
  if (strip_conditionals) {
    return http::iequals(name, "if-none-match") || http::iequals(name, "if-modified-since") ||
           http::iequals(name, "if-match") || http::iequals(name, "if-unmodified-since") ||
           http::iequals(name, "if-range") || http::iequals(name, "range");
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

}  // namespace

void write_upstream_request_head(evbuffer* out, const http::RequestHead& req,
                                 const config::UpstreamConfig& upstream,
                                 const UpstreamRequestOptions& options) {
  std::string head;
  head.reserve(512 + req.target.size());
  std::string_view method = options.method == http::Method::Other
                                ? options.method_token
                                : http::method_name(options.method);
  head.append(method);
  head += ' ';
  head.append(upstream.base_path);
  head.append(req.target);
  head += " HTTP/1.1\r\n";

  switch (upstream.host_header) {
    case config::HostHeader::Forward:
      append_field(head, "Host", req.host.empty() ? std::string_view(upstream.authority) : req.host);
      break;
    case config::HostHeader::Upstream:
      append_field(head, "Host", upstream.authority);
      break;
    case config::HostHeader::Fixed:
      append_field(head, "Host", upstream.fixed_host);
      break;
  }

  for (const http::HeaderField& f : req.headers) {
    if (replaced_by_proxy(f.name, options.strip_conditionals)) continue;
    if (http::is_connection_specific(f.name, req.headers)) continue;
    append_field(head, f.name, f.value);
  }

  if (!options.if_none_match.empty()) append_field(head, "If-None-Match", options.if_none_match);
  if (options.if_modified_since) {
    char date[http::kHttpDateLength];
    http::format_http_date(*options.if_modified_since, date);
    append_field(head, "If-Modified-Since", std::string_view(date, sizeof date));
  }

  // RFC 7239 is richer, but X-Forwarded-* is what legacy upstreams read. Repeated lines form
  // one list (RFC 9110 §5.3): every earlier hop is kept, in order, and ours goes last.
  head += "X-Forwarded-For: ";
  append_list_with(head, req.headers, "x-forwarded-for", options.client_address);
  head += "\r\nX-Forwarded-Proto: http\r\n";
  // RFC 9110 §7.6.3: a proxy adds itself to Via.
  head += "Via: ";
  append_list_with(head, req.headers, "via", req.version_minor == 0 ? "1.0 etagd" : "1.1 etagd");
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
