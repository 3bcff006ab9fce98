#include "proxy/http2_request.h"

#include <charconv>

#include "http/token.h"

namespace etagd::proxy {

Http2RequestFields::Span Http2RequestFields::append(std::string_view s) {
  Span span{static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(s.size())};
  bytes_.append(s);
  return span;
}

void Http2RequestFields::add(std::string_view name, std::string_view value) {
  list_size_ += name.size() + value.size() + 32;
  if (!name.empty() && name[0] == ':') {
    // nghttp2 let through only :method, :scheme, :authority and :path, once each. :scheme is
    // what the client thinks it speaks; the scheme etagd forwards is the listener's.
    if (name == ":method") {
      method_ = append(value);
    } else if (name == ":path") {
      path_ = append(value);
    } else if (name == ":authority") {
      authority_ = append(value);
      has_authority_ = true;
    }
    return;
  }
  Field f;
  f.name = append(name);
  f.value = append(value);
  fields_.push_back(f);
}

std::optional<uint64_t> Http2RequestFields::announced_length() const {
  for (const Field& f : fields_) {
    if (view(f.name) != "content-length") continue;
    std::string_view v = view(f.value);
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc() && end == v.data() + v.size()) return n;
    return std::nullopt;
  }
  return std::nullopt;
}

std::string_view Http2RequestFields::make_head(http::RequestHead& out) {
  // RFC 9113 §8.2.3: a client may split Cookie into one field per cookie; an HTTP/1.1
  // upstream gets them joined with "; " in one field (RFC 6265 §5.4 allows only one).
  size_t cookies = 0;
  for (const Field& f : fields_) cookies += view(f.name) == "cookie";
  Span joined_cookie;
  if (cookies > 1) {
    size_t start = bytes_.size();
    for (const Field& f : fields_) {
      if (view(f.name) != "cookie") continue;
      if (bytes_.size() > start) bytes_.append("; ");
      std::string_view v = view(f.value);
      bytes_.append(v.data(), v.size());  // may reallocate: v is not used after this
    }
    joined_cookie = Span{static_cast<uint32_t>(start), static_cast<uint32_t>(bytes_.size() - start)};
  }
  // RFC 9113 §8.3.1: :authority stands for Host; an intermediary that forwards to HTTP/1.1
  // makes a Host field of it when the request has none. A Host naming another authority makes
  // the request malformed: which one would the cache key and the upstream get?
  bool has_host = false;
  for (const Field& f : fields_) has_host = has_host || view(f.name) == "host";
  Span host_name;
  if (has_authority_ && !has_host) host_name = append("host");

  // From here on bytes_ does not change: views stay valid.
  http::HeaderList headers = std::move(out.headers);
  headers.clear();
  out.clear();
  bool cookie_written = false;
  for (const Field& f : fields_) {
    std::string_view name = view(f.name);
    if (cookies > 1 && name == "cookie") {
      if (!cookie_written) headers.add(name, view(joined_cookie));
      cookie_written = true;
      continue;
    }
    headers.add(name, view(f.value));
  }
  if (has_authority_ && !has_host) headers.add(view(host_name), view(authority_));
  out.headers = std::move(headers);
  out.version_minor = 1;  // HTTP/1.1 semantics upstream: Host required, keep-alive
  out.version_major = 2;
  out.method_token = view(method_);
  out.target = view(path_);
  out.raw_target = out.target;  // for the log of a refusal before check_request()

  if (has_authority_ && has_host &&
      !http::iequals(out.headers.get("host"), view(authority_))) {
    return "Host differs from :authority";
  }
  std::string_view length = out.headers.get("content-length");
  if (!length.empty()) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
    if (ec != std::errc() || end != length.data() + length.size()) return "invalid Content-Length";
    out.content_length = n;
  }
  return http::check_request(out);
}

}  // namespace etagd::proxy
