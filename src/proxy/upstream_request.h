// Serialises the request etagd sends upstream. Framing is always etagd's own
// (RFC 9112 §6: never forward the client's Transfer-Encoding/Content-Length as they came):
// the body has been read completely, so it goes with a Content-Length. X-Forwarded-For,
// -Proto, -Host, -Port and Forwarded come from a trusted proxy or from etagd itself, never
// from a client that could forge them (client_identity.h); with upstream.forwarded: rfc7239
// etagd adds its own Forwarded element.
#pragma once

#include <event2/buffer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "http/content_coding.h"
#include "http/message_head.h"
#include "proxy/client_identity.h"

namespace etagd::proxy {

struct UpstreamRequestOptions {
  http::Method method = http::Method::Get;  // may differ from the client's (HEAD fetched as GET)
  std::string_view method_token;            // used when method is Other
  bool strip_conditionals = false;          // etagd evaluates the client's validators itself
  bool keep_range = false;  // with strip_conditionals: Range and If-Range still go (range: forward)
  std::string_view if_none_match;           // revalidation of a stored entry (RFC 9111 §4.3.1)
  std::optional<int64_t> if_modified_since;
  // The codings whose representation ETags ("abc-br") clients of this route hold: the
  // client's If-None-Match and If-Match also name their identity tags, the upstream's own
  // (representation_encoding.h). Null when the route encodes nothing.
  const std::vector<http::ContentCoding>* etag_codings = nullptr;
  const ClientIdentity* client = nullptr;   // X-Forwarded-*, Forwarded (client_identity.h)
  std::string_view target;                  // replaces the client's target when not empty
  uint64_t body_length = 0;
  // The server it goes to, for its base path and authority; null: upstream's own (the first
  // server's).
  std::string_view base_path;
  std::string_view authority;
  bool per_server = false;  // base_path and authority above apply
};

// Writes head (and nothing else) for `req` to `out`.
void write_upstream_request_head(evbuffer* out, const http::RequestHead& req,
                                 const config::UpstreamConfig& upstream,
                                 const UpstreamRequestOptions& options);

}  // namespace etagd::proxy
