// etagd-demo-origin: the upstream a new user puts etagd in front of.
//
// It imitates a legacy JSON API: an in-memory collection of items with the usual REST verbs,
// and no validators or caching headers at all (no ETag, no Last-Modified, no Cache-Control),
// which is exactly the kind of API etagd exists for. It doubles as the benchmark origin, so
// the read paths avoid per-request work: the list and each item keep their rendered JSON,
// and blobs are generated once per size and sent by reference.
//
//   GET    /api/items            JSON array of every item
//   GET    /api/items/{id}       one item (404 if absent)
//   POST   /api/items            create from a JSON object: 201 + Location
//   PUT    /api/items/{id}       replace the item's fields
//   PATCH  /api/items/{id}       merge top-level fields into the item
//   DELETE /api/items/{id}       204
//   GET    /api/slow?ms=N        answers after N milliseconds (at most 60000)
//   GET    /api/blob?size=N      N bytes of deterministic JSON (at most 64 MiB)
//   GET    /health               {"status":"ok"}
//
// Single-threaded libevent evhttp; SIGINT/SIGTERM exit cleanly with status 0.

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace etagd::demo {
namespace {

constexpr int kSeedItems = 20;
constexpr long kMaxSlowMs = 60000;
constexpr size_t kMaxBlobBytes = 64 * 1024 * 1024;
constexpr size_t kMaxCachedBlobs = 64;
constexpr size_t kMaxRequestBody = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// JSON objects, shallowly: the top-level members of an object as (key, raw value) text pairs.
// That is all PUT/PATCH need (replace or merge top-level fields); nested values are kept as
// the client wrote them, checked only for balanced brackets and terminated strings.

using JsonMembers = std::vector<std::pair<std::string, std::string>>;  // key with its quotes

class ObjectReader {
 public:
  explicit ObjectReader(std::string_view text) : s_(text) {}

  bool read(JsonMembers& out, std::string& error) {
    skip_ws();
    if (!eat('{')) return fail(error, "expected a JSON object");
    skip_ws();
    if (eat('}')) return at_end(error);
    for (;;) {
      skip_ws();
      size_t key_start = i_;
      if (!string_token()) return fail(error, "expected a quoted member name");
      std::string key(s_.substr(key_start, i_ - key_start));
      skip_ws();
      if (!eat(':')) return fail(error, "expected ':' after " + key);
      skip_ws();
      size_t value_start = i_;
      if (!value_token()) return fail(error, "bad value for " + key);
      std::string value(s_.substr(value_start, i_ - value_start));
      upsert(out, std::move(key), std::move(value));
      skip_ws();
      if (eat('}')) return at_end(error);
      if (!eat(',')) return fail(error, "expected ',' or '}'");
    }
  }

  static void upsert(JsonMembers& members, std::string key, std::string value) {
    for (auto& [k, v] : members) {
      if (k == key) {
        v = std::move(value);
        return;
      }
    }
    members.emplace_back(std::move(key), std::move(value));
  }

 private:
  bool fail(std::string& error, std::string why) {
    error = std::move(why) + " at offset " + std::to_string(i_);
    return false;
  }
  bool at_end(std::string& error) {
    skip_ws();
    return i_ == s_.size() ? true : fail(error, "trailing bytes after the object");
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool string_token() {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        ++i_;
      } else if (c == '"') {
        return true;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        return false;
      }
    }
    return false;
  }
  bool value_token() {
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '"') return string_token();
    if (c == '{' || c == '[') return nested_token();
    size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                              s_[i_] == '+' || s_[i_] == '.')) {
      ++i_;
    }
    std::string_view word = s_.substr(start, i_ - start);
    if (word == "true" || word == "false" || word == "null") return true;
    if (word.empty()) return false;
    for (char d : word) {
      if (!std::isdigit(static_cast<unsigned char>(d)) && d != '-' && d != '+' && d != '.' &&
          d != 'e' && d != 'E') {
        return false;
      }
    }
    return true;
  }
  bool nested_token() {
    std::vector<char> closers;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"') {
        if (!string_token()) return false;
        continue;
      }
      ++i_;
      if (c == '{') closers.push_back('}');
      if (c == '[') closers.push_back(']');
      if (c == '}' || c == ']') {
        if (closers.empty() || closers.back() != c) return false;
        closers.pop_back();
        if (closers.empty()) return true;
      }
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The collection. Rendered JSON is kept next to the fields and rebuilt only on change.

struct Item {
  JsonMembers fields;  // never contains "id": the id is the map key
  std::string json;
};

class Catalog {
 public:
  void seed(int count) {
    for (int i = 1; i <= count; ++i) {
      JsonMembers f;
      f.emplace_back("\"name\"", "\"Item " + std::to_string(i) + "\"");
      f.emplace_back("\"price_cents\"", std::to_string(i * 125));
      f.emplace_back("\"in_stock\"", i % 4 != 0 ? "true" : "false");
      f.emplace_back("\"tags\"", "[\"demo\",\"group-" + std::to_string(i % 3) + "\"]");
      create(std::move(f));
    }
  }

  const std::string& list_json() {
    if (list_dirty_) {
      list_json_.clear();  // not `= "["`: GCC 12 -O2 misreports -Wrestrict on that (PR 105329)
      list_json_ += '[';
      for (const auto& [id, item] : items_) {
        if (list_json_.size() > 1) list_json_ += ',';
        list_json_ += item.json;
      }
      list_json_ += "]";
      list_dirty_ = false;
    }
    return list_json_;
  }

  const Item* find(long id) const {
    auto it = items_.find(id);
    return it == items_.end() ? nullptr : &it->second;
  }

  long create(JsonMembers fields) {
    long id = next_id_++;
    store(id, std::move(fields));
    return id;
  }

  bool replace(long id, JsonMembers fields) {
    if (!items_.count(id)) return false;
    store(id, std::move(fields));
    return true;
  }

  bool merge(long id, const JsonMembers& changes) {
    auto it = items_.find(id);
    if (it == items_.end()) return false;
    JsonMembers fields = it->second.fields;
    for (const auto& [k, v] : changes) ObjectReader::upsert(fields, k, v);
    store(id, std::move(fields));
    return true;
  }

  bool remove(long id) {
    list_dirty_ = true;
    return items_.erase(id) > 0;
  }

  size_t size() const { return items_.size(); }

 private:
  void store(long id, JsonMembers fields) {
    fields.erase(std::remove_if(fields.begin(), fields.end(),
                                [](const auto& m) { return m.first == "\"id\""; }),
                 fields.end());
    Item& item = items_[id];
    item.json = "{\"id\":" + std::to_string(id);
    for (const auto& [k, v] : fields) item.json += "," + k + ":" + v;
    item.json += "}";
    item.fields = std::move(fields);
    list_dirty_ = true;
  }

  std::map<long, Item> items_;
  long next_id_ = 1;
  std::string list_json_;
  bool list_dirty_ = true;
};

// Exactly `size` bytes, the same for the same size: {"data":"<filler>"} when there is room
// for the braces, bare filler below that.
std::string make_blob(size_t size) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
  constexpr std::string_view kOpen = "{\"data\":\"";
  constexpr std::string_view kClose = "\"}";
  std::string out;
  out.reserve(size);
  bool framed = size >= kOpen.size() + kClose.size();
  if (framed) out += kOpen;
  size_t filler = framed ? size - kOpen.size() - kClose.size() : size;
  uint32_t state = 0x9e3779b9u;
  for (size_t i = 0; i < filler; ++i) {
    state = state * 1664525u + 1013904223u;  // LCG: deterministic, cheap
    out += kAlphabet[(state >> 24) & 63];
  }
  if (framed) out += kClose;
  return out;
}

// ---------------------------------------------------------------------------------------------
// HTTP.

struct Server {
  event_base* base = nullptr;
  evhttp* http = nullptr;
  Catalog catalog;
  std::map<size_t, std::string> blobs;  // node-based: a blob's bytes never move once cached
  bool quiet = false;
};

std::optional<long> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  long id = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return id;
}

// Value of `name` in a query string ("a=1&b=2"), without decoding: the parameters here are
// plain numbers.
std::optional<std::string_view> query_param(const char* query, std::string_view name) {
  if (!query) return std::nullopt;
  std::string_view q(query);
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<size_t> parse_size(std::optional<std::string_view> s) {
  if (!s || s->empty() || s->size() > 12) return std::nullopt;
  size_t n = 0;
  for (char c : *s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

const char* method_name(evhttp_cmd_type m) {
  switch (m) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_DELETE: return "DELETE";
    default: return "OTHER";
  }
}

void log_request(const Server& server, evhttp_request* req, int status) {
  if (server.quiet) return;
  std::printf("%s %s %d\n", method_name(evhttp_request_get_command(req)),
              evhttp_request_get_uri(req), status);
}

// evhttp writes whatever is in the output buffer, even for HEAD, and adds no Content-Length
// to a HEAD response: so a HEAD gets the length of the body it does not get
// (RFC 9110 §9.3.2: the same header fields as GET).
bool head_only(evhttp_request* req, size_t body_length) {
  if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) return false;
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length",
                    std::to_string(body_length).c_str());
  return true;
}

void send(Server& server, evhttp_request* req, int status, std::string_view json) {
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
  if (!head_only(req, json.size())) {
    evbuffer_add(evhttp_request_get_output_buffer(req), json.data(), json.size());
  }
  evhttp_send_reply(req, status, nullptr, nullptr);
  log_request(server, req, status);
}

void send_error(Server& server, evhttp_request* req, int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') body += '\\';
    body += c;
  }
  body += "\"}";
  send(server, req, status, body);
}

void send_not_allowed(Server& server, evhttp_request* req, const char* allow) {
  evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
  send_error(server, req, 405, "method not allowed");
}

std::string_view request_body(evhttp_request* req) {
  evbuffer* in = evhttp_request_get_input_buffer(req);
  size_t n = evbuffer_get_length(in);
  if (n == 0) return {};
  const unsigned char* data = evbuffer_pullup(in, -1);
  return std::string_view(reinterpret_cast<const char*>(data), n);
}

bool read_object(Server& server, evhttp_request* req, JsonMembers& out) {
  std::string error;
  if (!ObjectReader(request_body(req)).read(out, error)) {
    send_error(server, req, 400, "body must be a JSON object: " + error);
    return false;
  }
  return true;
}

void handle_collection(Server& server, evhttp_request* req, evhttp_cmd_type method) {
  if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD) {
    send(server, req, 200, server.catalog.list_json());
    return;
  }
  if (method != EVHTTP_REQ_POST) {
    send_not_allowed(server, req, "GET, HEAD, POST");
    return;
  }
  JsonMembers fields;
  if (!read_object(server, req, fields)) return;
  long id = server.catalog.create(std::move(fields));
  std::string location = "/api/items/" + std::to_string(id);
  evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location.c_str());
  send(server, req, 201, server.catalog.find(id)->json);
}

void handle_item(Server& server, evhttp_request* req, evhttp_cmd_type method, long id) {
  switch (method) {
    case EVHTTP_REQ_GET:
    case EVHTTP_REQ_HEAD: break;
    case EVHTTP_REQ_PUT:
    case EVHTTP_REQ_PATCH: {
      JsonMembers fields;
      if (!read_object(server, req, fields)) return;
      bool found = method == EVHTTP_REQ_PUT ? server.catalog.replace(id, std::move(fields))
                                            : server.catalog.merge(id, fields);
      if (!found) {
        send_error(server, req, 404, "no such item");
        return;
      }
      break;
    }
    case EVHTTP_REQ_DELETE:
      if (!server.catalog.remove(id)) {
        send_error(server, req, 404, "no such item");
        return;
      }
      evhttp_send_reply(req, 204, nullptr, nullptr);
      log_request(server, req, 204);
      return;
    default: send_not_allowed(server, req, "GET, HEAD, PUT, PATCH, DELETE"); return;
  }
  const Item* item = server.catalog.find(id);
  if (!item) {
    send_error(server, req, 404, "no such item");
    return;
  }
  send(server, req, 200, item->json);
}

struct SlowReply {
  Server* server;
  evhttp_request* req;
  long ms;
};

void finish_slow(evutil_socket_t, short, void* arg) {
  std::unique_ptr<SlowReply> slow(static_cast<SlowReply*>(arg));
  // If the client left meanwhile, evhttp detached the request and this reply just frees it.
  send(*slow->server, slow->req, 200, "{\"slept_ms\":" + std::to_string(slow->ms) + "}");
}

void handle_slow(Server& server, evhttp_request* req, const char* query) {
  auto ms = parse_size(query_param(query, "ms"));
  long delay = ms ? static_cast<long>(std::min<size_t>(*ms, kMaxSlowMs)) : 1000;
  auto slow = std::make_unique<SlowReply>(SlowReply{&server, req, delay});
  timeval tv{delay / 1000, static_cast<suseconds_t>((delay % 1000) * 1000)};
  if (event_base_once(server.base, -1, EV_TIMEOUT, finish_slow, slow.get(), &tv) == 0) {
    slow.release();  // owned by the timer callback now
  } else {
    send_error(server, req, 500, "cannot schedule timer");
  }
}

void handle_blob(Server& server, evhttp_request* req, const char* query) {
  auto size = parse_size(query_param(query, "size"));
  if (!size || *size > kMaxBlobBytes) {
    send_error(server, req, 400, "size must be a number of bytes up to 67108864");
    return;
  }
  auto it = server.blobs.find(*size);
  if (it == server.blobs.end() && server.blobs.size() < kMaxCachedBlobs) {
    it = server.blobs.emplace(*size, make_blob(*size)).first;
  }
  evbuffer* out = evhttp_request_get_output_buffer(req);
  if (head_only(req, *size)) {
    // headers only
  } else if (it != server.blobs.end()) {
    // Cached blobs live until exit (after evhttp is freed), so no cleanup callback.
    evbuffer_add_reference(out, it->second.data(), it->second.size(), nullptr, nullptr);
  } else {
    std::string blob = make_blob(*size);
    evbuffer_add(out, blob.data(), blob.size());
  }
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
  evhttp_send_reply(req, 200, nullptr, nullptr);
  log_request(server, req, 200);
}

void handle_request(evhttp_request* req, void* arg) {
  Server& server = *static_cast<Server*>(arg);
  evhttp_cmd_type method = evhttp_request_get_command(req);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* raw_path = uri ? evhttp_uri_get_path(uri) : nullptr;
  std::string_view path = raw_path ? raw_path : "";
  const char* query = uri ? evhttp_uri_get_query(uri) : nullptr;
  bool read = method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD;

  constexpr std::string_view kItems = "/api/items";
  if (path == kItems || path == "/api/items/") {
    handle_collection(server, req, method);
  } else if (path.substr(0, kItems.size() + 1) == "/api/items/") {
    auto id = parse_id(path.substr(kItems.size() + 1));
    if (id) {
      handle_item(server, req, method, *id);
    } else {
      send_error(server, req, 404, "no such item");
    }
  } else if (path == "/api/slow") {
    read ? handle_slow(server, req, query) : send_not_allowed(server, req, "GET, HEAD");
  } else if (path == "/api/blob") {
    read ? handle_blob(server, req, query) : send_not_allowed(server, req, "GET, HEAD");
  } else if (path == "/health") {
    read ? send(server, req, 200, "{\"status\":\"ok\"}")
         : send_not_allowed(server, req, "GET, HEAD");
  } else {
    send_error(server, req, 404, "not found");
  }
}

void stop_loop(evutil_socket_t, short, void* arg) {
  event_base_loopexit(static_cast<event_base*>(arg), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Command line.

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;
  bool quiet = false;
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: etagd-demo-origin [--listen HOST:PORT] [--quiet]\n"
               "  --listen HOST:PORT  address to serve on (default 127.0.0.1:9000;\n"
               "                      IPv6 as [::1]:9000)\n"
               "  --quiet             no startup line, no per-request log\n");
}

bool parse_listen(std::string_view arg, Options& opt) {
  size_t colon = arg.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = arg.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto port = parse_size(arg.substr(colon + 1));
  if (!port || *port == 0 || *port > 65535) return false;
  opt.host = std::string(host);
  opt.port = static_cast<uint16_t>(*port);
  return true;
}

// Returns 0 to run, or the exit status to leave with.
int parse_args(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return -1;
    } else if (a == "--quiet" || a == "-q") {
      opt.quiet = true;
    } else if (a == "--listen" && i + 1 < argc) {
      if (!parse_listen(argv[++i], opt)) {
        std::fprintf(stderr, "etagd-demo-origin: --listen: expected HOST:PORT, got '%s'\n",
                     argv[i]);
        return 2;
      }
    } else if (a.substr(0, 9) == "--listen=") {
      if (!parse_listen(a.substr(9), opt)) {
        std::fprintf(stderr, "etagd-demo-origin: --listen: expected HOST:PORT, got '%s'\n",
                     argv[i] + 9);
        return 2;
      }
    } else {
      std::fprintf(stderr, "etagd-demo-origin: unknown argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  return 0;
}

int run(const Options& opt) {
  std::signal(SIGPIPE, SIG_IGN);
  Server server;
  server.quiet = opt.quiet;
  server.catalog.seed(kSeedItems);

  server.base = event_base_new();
  server.http = server.base ? evhttp_new(server.base) : nullptr;
  if (!server.http) {
    std::fprintf(stderr, "etagd-demo-origin: cannot create the event loop\n");
    return 1;
  }
  evhttp_set_allowed_methods(server.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                              EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
                                              EVHTTP_REQ_DELETE);
  evhttp_set_max_body_size(server.http, kMaxRequestBody);
  evhttp_set_max_headers_size(server.http, 64 * 1024);
  evhttp_set_timeout(server.http, 60);
  evhttp_set_gencb(server.http, handle_request, &server);

  int status = 0;
  evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(server.http, opt.host.c_str(),
                                                              opt.port);
  if (bound) {
    // Accepted sockets inherit TCP_NODELAY from the listener on Linux. Without it a body
    // written after its head waits for the client's delayed ACK (~40ms) under Nagle.
    int one = 1;
    setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (!bound) {
    std::fprintf(stderr, "etagd-demo-origin: cannot listen on %s:%u: %s\n", opt.host.c_str(),
                 opt.port, std::strerror(errno));
    status = 1;
  } else {
    event* sigint = evsignal_new(server.base, SIGINT, stop_loop, server.base);
    event* sigterm = evsignal_new(server.base, SIGTERM, stop_loop, server.base);
    event_add(sigint, nullptr);
    event_add(sigterm, nullptr);
    if (!opt.quiet) {
      bool v6 = opt.host.find(':') != std::string::npos;
      std::printf("etagd-demo-origin listening on http://%s%s%s:%u (%zu items)\n", v6 ? "[" : "",
                  opt.host.c_str(), v6 ? "]" : "", opt.port, server.catalog.size());
    }
    event_base_dispatch(server.base);
    event_free(sigint);
    event_free(sigterm);
  }
  evhttp_free(server.http);  // before the blobs it may still reference
  event_base_free(server.base);
  return status;
}

}  // namespace
}  // namespace etagd::demo

int main(int argc, char** argv) {
  // Line-buffered even into a file or pipe, so request logs appear as they happen.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  etagd::demo::Options opt;
  int rc = etagd::demo::parse_args(argc, argv, opt);
  if (rc != 0) return rc < 0 ? 0 : rc;
  return etagd::demo::run(opt);
}
