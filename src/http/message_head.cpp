#include "http/message_head.h"

#include <llhttp.h>

#include <string>

#include "http/path_normalisation.h"
#include "http/token.h"

namespace etagd::http {

namespace {

// llhttp reports each element through callbacks. The head is contiguous and given in one call,
// so each callback fires once per element with a view into the head.
struct ParseState {
  HeaderList* headers = nullptr;
  std::string_view url;
  std::string_view reason;
  std::string_view field;
  bool field_pending = false;
  bool head_complete = false;  // llhttp reached the end of the head
};

ParseState& state_of(llhttp_t* p) { return *static_cast<ParseState*>(p->data); }

int on_url(llhttp_t* p, const char* at, size_t len) {
  state_of(p).url = std::string_view(at, len);
  return 0;
}
int on_status(llhttp_t* p, const char* at, size_t len) {
  state_of(p).reason = std::string_view(at, len);
  return 0;
}
int on_header_field(llhttp_t* p, const char* at, size_t len) {
  ParseState& s = state_of(p);
  s.field = std::string_view(at, len);
  s.field_pending = true;
  return 0;
}
int on_header_value(llhttp_t* p, const char* at, size_t len) {
  ParseState& s = state_of(p);
  s.headers->add(s.field, trim_ows(std::string_view(at, len)));
  s.field_pending = false;
  return 0;
}
int on_header_value_complete(llhttp_t* p) {
  // An empty value produces no on_header_value call.
  ParseState& s = state_of(p);
  if (s.field_pending) s.headers->add(s.field, std::string_view());
  s.field_pending = false;
  return 0;
}
// Bodies are framed by etagd itself (chunked_decoder.h): tell llhttp there is none.
int on_headers_complete(llhttp_t* p) {
  state_of(p).head_complete = true;
  return 1;
}

const llhttp_settings_t& settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t st;
    llhttp_settings_init(&st);
    st.on_url = on_url;
    st.on_status = on_status;
    st.on_header_field = on_header_field;
    st.on_header_value = on_header_value;
    st.on_header_value_complete = on_header_value_complete;
    st.on_headers_complete = on_headers_complete;
    return st;
  }();
  return s;
}

// Clears a head for reuse without giving up its field vector's capacity (no allocation per
// request once a connection has seen its largest head).
template <typename Head>
HeaderList& reset_keeping_capacity(Head& out) {
  HeaderList headers = std::move(out.headers);
  headers.clear();
  out.clear();
  out.headers = std::move(headers);
  return out.headers;
}

llhttp_errno_t run_llhttp(llhttp_type_t type, std::string_view head, HeaderList& headers,
                          ParseState& state, llhttp_t& parser) {
  state.headers = &headers;
  llhttp_init(&parser, type, &settings());
  parser.data = &state;
  llhttp_errno_t err = llhttp_execute(&parser, head.data(), head.size());
  if (err == HPE_PAUSED_UPGRADE) err = HPE_OK;
  // HPE_OK without the end of the head: llhttp is still waiting for bytes (a "PRI" request
  // line makes it expect the rest of the HTTP/2 preface). A head it did not finish is refused.
  if (err == HPE_OK && !state.head_complete) return HPE_INVALID_CONSTANT;
  return err;
}

// llhttp 8.1 knows a fixed table of methods and refuses any other token, but a method is any
// token (RFC 9110 §9.1) and extension methods are forwarded (and invalidate, RFC 9111 §4.4).
// For those the head is parsed with GET in the method's place, in a scratch copy, and the
// views are moved back onto `head`: past the method, both copies hold the same bytes.
llhttp_errno_t run_llhttp_with_extension_method(std::string_view head, HeaderList& headers,
                                                ParseState& state, llhttp_t& parser) {
  size_t method_end = head.find(' ');
  if (method_end == std::string_view::npos || !is_token(head.substr(0, method_end))) {
    return HPE_INVALID_METHOD;
  }
  thread_local std::string scratch;  // reused: no allocation once it has grown
  scratch.assign("GET");
  scratch.append(head.substr(method_end));
  HeaderList scratch_headers;
  llhttp_errno_t err = run_llhttp(HTTP_REQUEST, scratch, scratch_headers, state, parser);
  if (err != HPE_OK) return err;
  auto moved = [&](std::string_view v) {
    if (v.empty()) return v;
    size_t offset = static_cast<size_t>(v.data() - scratch.data()) - 3 + method_end;
    return head.substr(offset, v.size());
  };
  for (const HeaderField& f : scratch_headers) headers.add(moved(f.name), moved(f.value));
  state.url = moved(state.url);
  state.headers = &headers;
  return HPE_OK;
}

// Connection options are a token list (RFC 9110 §7.6.1).
bool connection_has(const HeaderList& headers, std::string_view option) {
  bool found = false;
  for (const HeaderField& f : headers) {
    if (!iequals(f.name, "connection")) continue;
    for_each_list_member(f.value, [&](std::string_view m) {
      if (iequals(m, option)) found = true;
      return !found;
    });
  }
  return found;
}

// RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
bool wants_keep_alive(int version_minor, const HeaderList& headers) {
  return version_minor >= 1 ? !connection_has(headers, "close")
                            : connection_has(headers, "keep-alive");
}

// RFC 9112 §3.2: Host = uri-host [ ":" port ]; uri-host is an IP-literal in brackets, or a
// reg-name of unreserved, pct-encoded and sub-delims characters (RFC 3986 §3.2.2). Anything
// else (a space, '/', '@', a non-numeric port) gets a 400: the value feeds rule matching and
// the cache key, and forwarding it lets a client smuggle a different authority upstream.
bool is_valid_host(std::string_view host) {
  std::string_view name = host;
  std::string_view port;
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    for (char c : host.substr(1, close - 1)) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                c == ':' || c == '.';
      if (!ok) return false;
    }
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
    }
    name = {};
  } else {
    size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      name = host.substr(0, colon);
      port = host.substr(colon + 1);  // may be empty: port = *DIGIT
    }
  }
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    bool sub_delim = std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
    if (!(unreserved || sub_delim || c == '%') || u >= 0x80) return false;
  }
  if (port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

void RequestHead::clear() { *this = RequestHead{}; }

void ResponseHead::clear() { *this = ResponseHead{}; }

std::string_view check_request(RequestHead& out) {
  out.method = parse_method(out.method_token);
  out.raw_target = out.target;
  if (out.method == Method::Connect) return "CONNECT not supported";

  if (out.target.empty() || out.target[0] != '/') return "request target must be origin-form";
  size_t q = out.target.find('?');
  out.path = out.target.substr(0, q);
  out.query = q == std::string_view::npos ? std::string_view() : out.target.substr(q + 1);
  if (out.path.find('#') != std::string_view::npos) return "fragment in request target";
  std::string path;
  switch (normalise_path(out.path, path)) {
    case PathNormalisation::Unchanged:
      break;
    case PathNormalisation::AboveRoot:
      return "path climbs above the root";
    case PathNormalisation::Changed: {
      size_t path_length = path.size();
      if (q != std::string_view::npos) path.append(out.target.substr(q));
      out.normalised_target = std::make_shared<const std::string>(std::move(path));
      out.target = *out.normalised_target;
      out.path = out.target.substr(0, path_length);
      if (q != std::string_view::npos) out.query = out.target.substr(path_length + 1);
      break;
    }
  }

  size_t hosts = out.headers.count("host");
  if (hosts > 1) return "repeated Host";
  if (hosts == 0 && out.version_minor >= 1) return "missing Host";
  out.host = out.headers.get("host");
  if (hosts == 1 && !is_valid_host(out.host)) return "invalid Host";

  std::string_view expect = out.headers.get("expect");
  if (!expect.empty()) {
    if (!iequals(expect, "100-continue")) return kUnsupportedExpectation;
    out.expect_continue = out.version_minor >= 1;
  }
  return {};
}

std::string_view parse_request_head(std::string_view head, const HeadScan& scan, RequestHead& out) {
  ParseState state;
  llhttp_t parser;
  HeaderList& headers = reset_keeping_capacity(out);
  llhttp_errno_t err = run_llhttp(HTTP_REQUEST, head, headers, state, parser);
  if (err == HPE_INVALID_METHOD) {
    headers.clear();
    state = ParseState{};
    err = run_llhttp_with_extension_method(head, headers, state, parser);
  }
  if (err != HPE_OK) return "malformed request";
  if (llhttp_get_http_major(&parser) != 1) return "unsupported HTTP version";
  out.version_minor = llhttp_get_http_minor(&parser);
  out.method_token = head.substr(0, head.find(' '));
  out.target = state.url;
  out.content_length = scan.content_length;
  out.chunked = scan.chunked;
  if (std::string_view error = check_request(out); !error.empty()) return error;
  if (out.chunked && out.version_minor == 0) return "Transfer-Encoding in HTTP/1.0";
  out.keep_alive = wants_keep_alive(out.version_minor, out.headers);
  return {};
}

std::string_view parse_response_head(std::string_view head, const HeadScan& scan,
                                     ResponseHead& out) {
  ParseState state;
  llhttp_t parser;
  if (run_llhttp(HTTP_RESPONSE, head, reset_keeping_capacity(out), state, parser) != HPE_OK) {
    return "malformed response head";
  }
  if (llhttp_get_http_major(&parser) != 1) return "unsupported HTTP version";
  out.version_minor = llhttp_get_http_minor(&parser);
  out.status = llhttp_get_status_code(&parser);
  if (out.status < 100 || out.status > 999) return "invalid status code";
  out.reason = state.reason;
  out.content_length = scan.content_length;
  out.chunked = scan.chunked;
  out.keep_alive = wants_keep_alive(out.version_minor, out.headers);
  return {};
}

}  // namespace etagd::http
