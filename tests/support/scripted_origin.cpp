#include "support/scripted_origin.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "support/free_port.h"
#include "support/wire_format.h"

namespace etagd::testing {
namespace detail {

struct OriginConnection {
  OriginState* origin = nullptr;
  uint64_t id = 0;
  // Serialises the connection thread closing the socket against other threads shutting it
  // down, so a shutdown() never lands on a descriptor number that was reused.
  std::mutex fd_mu;
  SocketStream stream;
  std::atomic<bool> idle{false};  // waiting for the first byte of the next request
  std::atomic<bool> done{false};  // the thread is about to return
  std::thread thread;

  void shutdown(int how) {
    std::lock_guard<std::mutex> lock(fd_mu);
    if (stream.is_open()) ::shutdown(stream.fd(), how);
  }
  void close_socket(bool with_reset) {
    std::lock_guard<std::mutex> lock(fd_mu);
    if (with_reset) {
      stream.reset();
    } else {
      stream.close();
    }
  }
};

struct OriginState {
  ScriptedOrigin::Options options;
  uint16_t port = 0;

  std::mutex lifecycle_mu;           // start() / stop()
  std::atomic<bool> running{false};  // read without the lock: handlers may ask while stop() joins
  std::atomic<bool> stopping{false};
  std::vector<int> listen_fds;
  int wake_pipe[2] = {-1, -1};
  std::thread accept_thread;
  std::mutex sleep_mu;  // with sleep_cv: wakes handlers sleeping in OriginReply when stopping
  std::condition_variable sleep_cv;

  mutable std::mutex conn_mu;
  std::list<std::unique_ptr<OriginConnection>> connections;
  uint64_t accepted = 0;

  mutable std::mutex route_mu;
  std::vector<std::pair<std::string, OriginHandler>> routes;
  OriginHandler default_handler;

  mutable std::mutex record_mu;
  mutable std::condition_variable record_cv;
  std::vector<OriginRequest> records;
  std::map<std::string, size_t, std::less<>> per_path;
  std::vector<std::string> errors;

  void add_error(std::string message) {
    std::lock_guard<std::mutex> lock(record_mu);
    errors.push_back(std::move(message));
  }
};

}  // namespace detail

namespace {

using detail::OriginConnection;
using detail::OriginState;

constexpr milliseconds kIoTimeout{30000};
constexpr milliseconds kLingerTimeout{1000};
constexpr auto kForever = std::chrono::hours(24);

// The origin a connection thread serves, so stop() can refuse to be called from one of its
// own handlers (it would join its own thread).
thread_local const OriginState* t_serving_origin = nullptr;

std::string printable(std::string_view bytes) {
  std::string out;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", c);
      out += hex;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string status_line(int status) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
}

bool wants_keep_alive(const OriginRequest& r) {
  if (r.headers.has_token("Connection", "close")) return false;
  if (r.version == "HTTP/1.0") return r.headers.has_token("Connection", "keep-alive");
  return true;
}

void echo_handler(const OriginRequest& req, OriginReply& reply) {
  std::string body = "{\"method\":\"" + json_escape(req.method) + "\",\"target\":\"" +
                     json_escape(req.target) + "\"}";
  reply.reply(200, {{"Content-Type", "application/json"}}, body);
}

int listen_on(int family, uint16_t port, std::string* error) {
  int fd = bind_loopback(family, port, SOCK_NONBLOCK);
  if (fd < 0 || ::listen(fd, 128) != 0) {
    *error = std::string(family == AF_INET ? "127.0.0.1" : "[::1]") + ":" + std::to_string(port) +
             ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

OriginHandler handler_for(const OriginState& s, std::string_view path) {
  std::lock_guard<std::mutex> lock(s.route_mu);
  for (const auto& [pattern, handler] : s.routes) {
    if (pattern == path) return handler;
  }
  const OriginHandler* best = nullptr;
  size_t best_length = 0;
  for (const auto& [pattern, handler] : s.routes) {
    if (pattern.empty() || pattern.back() != '*') continue;
    std::string_view prefix(pattern.data(), pattern.size() - 1);
    if (path.substr(0, prefix.size()) == prefix && (!best || prefix.size() >= best_length)) {
      best = &handler;
      best_length = prefix.size();
    }
  }
  if (best) return *best;
  return s.default_handler ? s.default_handler : OriginHandler(echo_handler);
}

void record(OriginState& s, const OriginRequest& req) {
  std::lock_guard<std::mutex> lock(s.record_mu);
  s.records.push_back(req);
  ++s.per_path[req.path];
  s.record_cv.notify_all();
}

// Answers a request the origin could not read, and says so in errors().
void refuse(OriginConnection& c, int status, const std::string& why, std::string_view head) {
  c.origin->add_error("connection " + std::to_string(c.id) + ": " + why +
                      (head.empty() ? "" : " in " + printable(head)));
  std::string body = why + "\n";
  std::string out = status_line(status) +
                    "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body;
  c.stream.write_all(out, deadline_after(kIoTimeout));
}

enum class ReadOutcome { request, gone, refused };

ReadOutcome read_request(OriginConnection& c, OriginRequest& req) {
  const ScriptedOrigin::Options& opt = c.origin->options;
  std::string head;
  IoStatus st =
      c.stream.read_until("\r\n\r\n", opt.max_head_bytes, deadline_after(kIoTimeout), head);
  if (st == IoStatus::too_large) {
    refuse(c, 431, "request head larger than " + std::to_string(opt.max_head_bytes) + " bytes", {});
    return ReadOutcome::refused;
  }
  if (st != IoStatus::ok) return ReadOutcome::gone;

  std::string start_line;
  std::string why;
  if (!parse_head(head, start_line, req.headers, &why)) {
    refuse(c, 400, why, head);
    return ReadOutcome::refused;
  }
  RequestLine line;
  if (!parse_request_line(start_line, line)) {
    refuse(c, 400, "bad request line", head);
    return ReadOutcome::refused;
  }
  req.method = std::move(line.method);
  req.target = std::move(line.target);
  req.version = std::move(line.version);
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  req.raw_head = std::move(head);

  BodyFraming framing = request_framing(req.headers);
  if (framing.kind == BodyFraming::invalid) {
    refuse(c, 400, framing.problem, req.raw_head);
    return ReadOutcome::refused;
  }
  if (framing.kind != BodyFraming::none && opt.auto_continue &&
      req.headers.has_token("Expect", "100-continue")) {
    c.stream.write_all("HTTP/1.1 100 Continue\r\n\r\n", deadline_after(kIoTimeout));
  }
  if (framing.kind == BodyFraming::length) {
    if (framing.content_length > opt.max_body_bytes) {
      refuse(c, 413, "request body too large", req.raw_head);
      return ReadOutcome::refused;
    }
    st = c.stream.read_exact(static_cast<size_t>(framing.content_length),
                             deadline_after(kIoTimeout), req.body);
    if (st != IoStatus::ok) {
      c.origin->add_error("connection " + std::to_string(c.id) + ": request body: " + describe(st));
      return ReadOutcome::gone;
    }
  } else if (framing.kind == BodyFraming::chunked) {
    req.chunked = true;
    st = read_chunked_body(c.stream, deadline_after(kIoTimeout), opt.max_body_bytes, req.body,
                           req.trailers, &why);
    if (st == IoStatus::malformed || st == IoStatus::too_large) {
      refuse(c, 400, "chunked request body: " + why, req.raw_head);
      return ReadOutcome::refused;
    }
    if (st != IoStatus::ok) {
      c.origin->add_error("connection " + std::to_string(c.id) + ": " + why);
      return ReadOutcome::gone;
    }
  }
  return ReadOutcome::request;
}

void serve_exchanges(OriginConnection& c) {
  OriginState& s = *c.origin;
  const milliseconds idle = s.options.idle_timeout;
  bool we_close = false;  // we end the connection: FIN, then wait for the peer's FIN
  for (size_t index = 0;; ++index) {
    c.idle = c.stream.buffered().empty();
    if (c.idle) {
      auto deadline = idle.count() > 0 ? deadline_after(idle) : Clock::now() + kForever;
      IoStatus st = c.stream.fill(deadline);
      c.idle = false;
      if (st == IoStatus::timeout) we_close = true;
      if (st != IoStatus::ok) break;
    }
    OriginRequest req;
    ReadOutcome outcome = read_request(c, req);
    if (outcome == ReadOutcome::refused) we_close = true;
    if (outcome != ReadOutcome::request) break;
    req.connection_id = c.id;
    req.index_on_connection = index;
    record(s, req);

    OriginReply reply(c, req);
    try {
      handler_for(s, req.path)(req, reply);
    } catch (const std::exception& e) {
      s.add_error("handler for " + req.method + " " + req.target + " threw: " + e.what());
      reply.reset();
    }
    if (reply.closed() || reply.broken()) {
      we_close = c.stream.is_open();
      break;
    }
    if (!reply.keeps_alive()) {
      we_close = true;
      break;
    }
  }
  if (we_close && c.stream.is_open()) {
    // Lingering close: FIN first and let the peer close, so unread request bytes do not turn
    // our close() into an RST that could destroy the response in flight (RFC 9112 §9.6).
    c.shutdown(SHUT_WR);
    c.stream.wait_closed(deadline_after(kLingerTimeout));
  }
}

void serve_connection(OriginConnection* c) {
  t_serving_origin = c->origin;
  c->stream.set_cancel_flag(&c->origin->stopping);
  try {
    serve_exchanges(*c);
  } catch (const std::exception& e) {
    c->origin->add_error("connection " + std::to_string(c->id) + ": " + e.what());
  }
  c->close_socket(false);
  c->done = true;
}

void reap_finished(OriginState& s) {
  std::list<std::unique_ptr<OriginConnection>> finished;
  {
    std::lock_guard<std::mutex> lock(s.conn_mu);
    for (auto it = s.connections.begin(); it != s.connections.end();) {
      auto next = std::next(it);
      if ((*it)->done) finished.splice(finished.end(), s.connections, it);
      it = next;
    }
  }
  for (auto& c : finished) c->thread.join();
}

void accept_loop(OriginState* s) {
  for (;;) {
    std::vector<pollfd> fds;
    for (int fd : s->listen_fds) fds.push_back({fd, POLLIN, 0});
    fds.push_back({s->wake_pipe[0], POLLIN, 0});
    int n = ::poll(fds.data(), fds.size(), 1000);
    if (s->stopping) return;
    reap_finished(*s);
    if (n <= 0) continue;
    for (size_t i = 0; i + 1 < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      int fd = ::accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<OriginConnection>();
      c->origin = s;
      c->stream = SocketStream(fd);
      std::lock_guard<std::mutex> lock(s->conn_mu);
      c->id = ++s->accepted;
      c->thread = std::thread(serve_connection, c.get());
      s->connections.push_back(std::move(c));
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// OriginReply

OriginReply::OriginReply(detail::OriginConnection& connection, const OriginRequest& request)
    : connection_(connection), request_(request), keep_alive_(wants_keep_alive(request)) {}

void OriginReply::write_raw(std::string_view bytes) {
  if (broken_ || closed_) {
    broken_ = true;
    return;
  }
  if (connection_.stream.write_all(bytes, deadline_after(kIoTimeout)) != IoStatus::ok) {
    broken_ = true;
  }
}

void OriginReply::write_head(int status, const HeaderFields& headers) {
  write_raw(status_line(status) + headers.serialize() + "\r\n");
}

void OriginReply::interim(int status, const HeaderFields& headers) { write_head(status, headers); }

void OriginReply::reply(int status, const HeaderFields& headers, std::string_view body) {
  bool bodyless = status < 200 || status == 204 || status == 304;
  std::string out = status_line(status) + headers.serialize();
  if (!bodyless && !headers.contains("Content-Length") && !headers.contains("Transfer-Encoding")) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  if (!keep_alive_ && !headers.contains("Connection")) out += "Connection: close\r\n";
  out += "\r\n";
  if (!bodyless && request_.method != "HEAD") out += body;
  write_raw(out);
}

void OriginReply::reply_chunked(int status, const HeaderFields& headers,
                                const std::vector<std::string>& chunks,
                                const HeaderFields& trailers, milliseconds pause_between_chunks) {
  std::string head = status_line(status) + headers.serialize() + "Transfer-Encoding: chunked\r\n";
  if (!keep_alive_ && !headers.contains("Connection")) head += "Connection: close\r\n";
  head += "\r\n";
  if (request_.method == "HEAD") {
    write_raw(head);
    return;
  }
  if (pause_between_chunks.count() == 0) {
    write_raw(head + encode_chunked(chunks, trailers));
    return;
  }
  write_raw(head);
  for (const std::string& chunk : chunks) {
    if (chunk.empty()) continue;
    if (!sleep(pause_between_chunks)) return;
    std::string framed = encode_chunked({chunk});
    framed.resize(framed.size() - 5);  // drop the last-chunk "0\r\n\r\n"
    write_raw(framed);
  }
  if (!sleep(pause_between_chunks)) return;
  write_raw(encode_chunked({}, trailers));
}

void OriginReply::drip(std::string_view bytes, milliseconds every) {
  for (size_t i = 0; i < bytes.size() && !broken_; ++i) {
    write_raw(bytes.substr(i, 1));
    if (i + 1 < bytes.size() && !sleep(every)) return;
  }
}

bool OriginReply::sleep(milliseconds duration) {
  OriginState& s = *connection_.origin;
  std::unique_lock<std::mutex> lock(s.sleep_mu);
  return !s.sleep_cv.wait_for(lock, duration, [&] { return s.stopping.load(); });
}

void OriginReply::close() {
  connection_.shutdown(SHUT_WR);
  closed_ = true;
}

void OriginReply::reset() {
  connection_.close_socket(true);
  closed_ = true;
}

void OriginReply::keep_alive(bool keep) { keep_alive_ = keep; }

bool OriginReply::wait_peer_closed(milliseconds timeout) {
  OriginState& s = *connection_.origin;
  Deadline deadline = deadline_after(timeout);
  int fd = connection_.stream.fd();
  if (fd < 0) return false;
  while (!s.stopping) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    auto left = std::min(std::chrono::ceil<milliseconds>(deadline - now), milliseconds(50));
    // POLLRDHUP without POLLIN: pipelined bytes from the client must not count as a close.
    pollfd p{fd, POLLRDHUP, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// ScriptedOrigin

ScriptedOrigin::ScriptedOrigin() : ScriptedOrigin(Options{}) {}

ScriptedOrigin::ScriptedOrigin(Options options) : state_(std::make_unique<OriginState>()) {
  state_->options = options;
  state_->port = options.port;
  start();
}

ScriptedOrigin::~ScriptedOrigin() { stop(); }

uint16_t ScriptedOrigin::port() const { return state_->port; }
std::string ScriptedOrigin::authority() const { return "127.0.0.1:" + std::to_string(port()); }
std::string ScriptedOrigin::url() const { return "http://" + authority(); }

void ScriptedOrigin::route(std::string pattern, OriginHandler handler) {
  std::lock_guard<std::mutex> lock(state_->route_mu);
  for (auto& [existing, h] : state_->routes) {
    if (existing == pattern) {
      h = std::move(handler);
      return;
    }
  }
  state_->routes.emplace_back(std::move(pattern), std::move(handler));
}

void ScriptedOrigin::set_default(OriginHandler handler) {
  std::lock_guard<std::mutex> lock(state_->route_mu);
  state_->default_handler = std::move(handler);
}

void ScriptedOrigin::clear_routes() {
  std::lock_guard<std::mutex> lock(state_->route_mu);
  state_->routes.clear();
  state_->default_handler = nullptr;
}

void ScriptedOrigin::start() {
  OriginState& s = *state_;
  std::lock_guard<std::mutex> lock(s.lifecycle_mu);
  if (s.running) return;

  // With an ephemeral port and IPv6, [::1] may hold the port 127.0.0.1 got: try a few.
  std::string error;
  for (int attempt = 0; attempt < 20 && s.listen_fds.empty(); ++attempt) {
    int v4 = listen_on(AF_INET, s.port, &error);
    if (v4 < 0) break;
    uint16_t port = bound_port(v4);
    if (s.options.ipv6) {
      int v6 = listen_on(AF_INET6, port, &error);
      if (v6 < 0) {
        ::close(v4);
        if (s.port != 0) break;  // a fixed port: nothing else to try
        continue;
      }
      s.listen_fds.push_back(v6);
    }
    s.listen_fds.push_back(v4);
    s.port = port;
  }
  if (s.listen_fds.empty()) throw std::runtime_error("ScriptedOrigin: cannot listen: " + error);
  if (::pipe2(s.wake_pipe, O_CLOEXEC) != 0) {
    for (int fd : s.listen_fds) ::close(fd);
    s.listen_fds.clear();
    throw std::runtime_error(std::string("ScriptedOrigin: pipe: ") + std::strerror(errno));
  }
  s.stopping = false;
  s.accept_thread = std::thread(accept_loop, &s);
  s.running = true;
}

void ScriptedOrigin::stop() {
  if (t_serving_origin == state_.get()) {
    throw std::logic_error("ScriptedOrigin::stop() called from a handler");
  }
  OriginState& s = *state_;
  std::lock_guard<std::mutex> lock(s.lifecycle_mu);
  if (!s.running) return;
  {
    std::lock_guard<std::mutex> sleep_lock(s.sleep_mu);
    s.stopping = true;
  }
  s.sleep_cv.notify_all();
  char wake = 'x';
  [[maybe_unused]] ssize_t ignored = ::write(s.wake_pipe[1], &wake, 1);
  s.accept_thread.join();
  for (int fd : s.listen_fds) ::close(fd);
  s.listen_fds.clear();
  ::close(s.wake_pipe[0]);
  ::close(s.wake_pipe[1]);
  s.wake_pipe[0] = s.wake_pipe[1] = -1;

  std::list<std::unique_ptr<OriginConnection>> connections;
  {
    std::lock_guard<std::mutex> conn_lock(s.conn_mu);
    connections.swap(s.connections);
  }
  for (auto& c : connections) c->shutdown(SHUT_RDWR);
  for (auto& c : connections) c->thread.join();
  s.running = false;
}

bool ScriptedOrigin::running() const { return state_->running; }

size_t ScriptedOrigin::drop_idle_connections() {
  std::lock_guard<std::mutex> lock(state_->conn_mu);
  size_t n = 0;
  for (auto& c : state_->connections) {
    if (c->idle && !c->done) {
      c->shutdown(SHUT_RDWR);
      ++n;
    }
  }
  return n;
}

size_t ScriptedOrigin::request_count() const {
  std::lock_guard<std::mutex> lock(state_->record_mu);
  return state_->records.size();
}

size_t ScriptedOrigin::request_count(std::string_view path) const {
  std::lock_guard<std::mutex> lock(state_->record_mu);
  auto it = state_->per_path.find(path);
  return it == state_->per_path.end() ? 0 : it->second;
}

std::vector<OriginRequest> ScriptedOrigin::requests() const {
  std::lock_guard<std::mutex> lock(state_->record_mu);
  return state_->records;
}

std::optional<OriginRequest> ScriptedOrigin::last_request() const {
  std::lock_guard<std::mutex> lock(state_->record_mu);
  if (state_->records.empty()) return std::nullopt;
  return state_->records.back();
}

bool ScriptedOrigin::wait_for_requests(size_t n, milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(state_->record_mu);
  return state_->record_cv.wait_for(lock, timeout, [&] { return state_->records.size() >= n; });
}

bool ScriptedOrigin::wait_for_requests(std::string_view path, size_t n,
                                       milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(state_->record_mu);
  return state_->record_cv.wait_for(lock, timeout, [&] {
    auto it = state_->per_path.find(path);
    return it != state_->per_path.end() && it->second >= n;
  });
}

void ScriptedOrigin::clear_requests() {
  std::lock_guard<std::mutex> lock(state_->record_mu);
  state_->records.clear();
  state_->per_path.clear();
}

size_t ScriptedOrigin::connection_count() const {
  std::lock_guard<std::mutex> lock(state_->conn_mu);
  return state_->accepted;
}

size_t ScriptedOrigin::open_connections() const {
  std::lock_guard<std::mutex> lock(state_->conn_mu);
  return static_cast<size_t>(std::count_if(state_->connections.begin(), state_->connections.end(),
                                           [](const auto& c) { return !c->done; }));
}

std::vector<std::string> ScriptedOrigin::errors() const {
  std::lock_guard<std::mutex> lock(state_->record_mu);
  return state_->errors;
}

}  // namespace etagd::testing
