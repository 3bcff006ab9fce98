#include "ops/admin_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <list>
#include <thread>
#include <utility>

#include "base/event_handles.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "http/head_scanner.h"
#include "http/http_date.h"
#include "http/message_head.h"
#include "http/status.h"

namespace etagd::ops {
namespace {

// Admin traffic is a scraper, an operator's curl and a health checker: small heads, tiny
// bodies, few connections. These bound what a misbehaving client can make it hold.
constexpr http::HeadLimits kHeadLimits{8 * 1024, 64};
constexpr uint64_t kMaxBody = 64 * 1024;
constexpr size_t kMaxConnections = 64;
constexpr timeval kIoTimeout{10, 0};

// "HTTP/1.1 200 OK" head and body, closing the connection after it.
std::string serialize(const AdminResponse& r, bool head_only) {
  char date[http::kHttpDateLength];
  http::format_http_date(static_cast<int64_t>(std::time(nullptr)), date);
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nDate: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
      "Cache-Control: no-store\r\nConnection: close\r\n",
      r.status, http::reason_phrase(r.status), std::string_view(date, sizeof date), r.content_type,
      r.body.size());
  if (!r.allow.empty()) out += "Allow: " + r.allow + "\r\n";
  out += "\r\n";
  if (!head_only) out += r.body;
  return out;
}

// Opens a listening TCP socket on `listen`, nonblocking.
base::Status open_listener(const config::ListenAddress& listen, base::UniqueFd& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(listen.port);
  int rc = getaddrinfo(listen.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return base::Status::error(fmt::format("admin.listen {}: {}", listen.text, gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, &freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    base::UniqueFd fd(
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    // SO_REUSEADDR so a restart does not wait out TIME_WAIT; not SO_REUSEPORT, so a second
    // etagd on the same admin port fails loudly instead of sharing it.
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6)
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), 64) != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    out = std::move(fd);
    return base::Status::ok();
  }
  return base::Status::error(fmt::format("admin.listen {}: {}", listen.text, last_error));
}

}  // namespace

struct AdminServer::Impl {
  struct Connection {
    Impl* server = nullptr;
    std::list<Connection>::iterator self;
    base::BuffereventPtr bev;
    http::HeadScanner scanner{http::HeadKind::Request, kHeadLimits};
    std::string head_bytes;
    http::RequestHead request;
    uint64_t body_left = 0;
    enum class State { Head, Body, Writing } state = State::Head;
  };

  Impl(AdminDeps deps, config::ListenAddress l) : api(std::move(deps)), listen(std::move(l)) {}

  AdminApi api;
  config::ListenAddress listen;
  uint16_t port = 0;
  base::EventBasePtr base;
  base::EvconnlistenerPtr listener;
  base::UniqueFd wake_fd;
  base::EventPtr wake_event;
  std::list<Connection> connections;
  std::thread thread;
  bool started = false;

  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg);
  static void on_wake(evutil_socket_t, short, void* arg);
  static void on_read(bufferevent*, void* arg);
  static void on_write(bufferevent*, void* arg);
  static void on_event(bufferevent*, short, void* arg);

  void read_request(Connection& c);
  void respond(Connection& c, const AdminResponse& r, bool head_only);
  void close(Connection& c) { connections.erase(c.self); }
};

void AdminServer::Impl::on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
  auto* s = static_cast<Impl*>(arg);
  if (s->connections.size() >= kMaxConnections) {
    ::close(fd);
    return;
  }
  bufferevent* bev = bufferevent_socket_new(s->base.get(), fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    ::close(fd);
    return;
  }
  Connection& c = s->connections.emplace_back();
  c.server = s;
  c.self = std::prev(s->connections.end());
  c.bev.reset(bev);
  bufferevent_setcb(bev, &Impl::on_read, &Impl::on_write, &Impl::on_event, &c);
  bufferevent_set_timeouts(bev, &kIoTimeout, &kIoTimeout);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void AdminServer::Impl::on_wake(evutil_socket_t, short, void* arg) {
  event_base_loopbreak(static_cast<Impl*>(arg)->base.get());
}

void AdminServer::Impl::on_read(bufferevent*, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  c->server->read_request(*c);
}

void AdminServer::Impl::on_write(bufferevent*, void* arg) {
  // Called when the output buffer drained: the whole answer is out.
  auto* c = static_cast<Connection*>(arg);
  if (c->state == Connection::State::Writing) c->server->close(*c);
}

void AdminServer::Impl::on_event(bufferevent*, short, void* arg) {
  // EOF, error or timeout: nothing left to answer.
  auto* c = static_cast<Connection*>(arg);
  c->server->close(*c);
}

void AdminServer::Impl::read_request(Connection& c) {
  evbuffer* in = bufferevent_get_input(c.bev.get());
  if (c.state == Connection::State::Head) {
    size_t avail = evbuffer_get_length(in);
    size_t scan_len = std::min<size_t>(avail, kHeadLimits.max_bytes + 1024);
    const char* data =
        reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ev_ssize_t>(scan_len)));
    http::HeadScan scan = c.scanner.scan(std::string_view(data, scan_len));
    switch (scan.status) {
      case http::HeadScan::Status::NeedMore: return;
      case http::HeadScan::Status::Invalid:
        return respond(c, {400, "text/plain; charset=utf-8", std::string(scan.reason) + "\n", ""},
                       false);
      case http::HeadScan::Status::TooLarge:
        return respond(c, {431, "text/plain; charset=utf-8", std::string(scan.reason) + "\n", ""},
                       false);
      case http::HeadScan::Status::Complete: break;
    }
    c.head_bytes.assign(data + scan.skip, scan.length);
    evbuffer_drain(in, scan.skip + scan.length);
    std::string_view error = http::parse_request_head(c.head_bytes, scan, c.request);
    if (!error.empty()) {
      return respond(c, {400, "text/plain; charset=utf-8", std::string(error) + "\n", ""}, false);
    }
    if (c.request.chunked) {
      return respond(c, {411, "text/plain; charset=utf-8", "send a Content-Length body\n", ""},
                     false);
    }
    c.body_left = c.request.content_length.value_or(0);
    if (c.body_left > kMaxBody) {
      return respond(c, {413, "text/plain; charset=utf-8", "request body too large\n", ""}, false);
    }
    c.state = Connection::State::Body;
  }
  if (c.state == Connection::State::Body) {
    // Parameters travel in the query; a body (a form from some client) is read and ignored.
    size_t take = std::min<uint64_t>(c.body_left, evbuffer_get_length(in));
    evbuffer_drain(in, take);
    c.body_left -= take;
    if (c.body_left > 0) return;
    AdminResponse r = api.handle(c.request);
    respond(c, r, c.request.method_token == "HEAD");
  }
}

void AdminServer::Impl::respond(Connection& c, const AdminResponse& r, bool head_only) {
  std::string bytes = serialize(r, head_only);
  c.state = Connection::State::Writing;
  bufferevent_disable(c.bev.get(), EV_READ);
  bufferevent_write(c.bev.get(), bytes.data(), bytes.size());
}

AdminServer::AdminServer(AdminDeps deps, config::ListenAddress listen)
    : impl_(std::make_unique<Impl>(std::move(deps), std::move(listen))) {}

AdminServer::~AdminServer() { stop(); }

base::Status AdminServer::start() {
  Impl& s = *impl_;
  if (s.started) return base::Status::ok();
  base::UniqueFd fd;
  if (base::Status st = open_listener(s.listen, fd); !st) return st;

  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  s.port = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);

  s.base.reset(event_base_new());
  s.wake_fd = base::UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!s.base || !s.wake_fd.valid()) {
    return base::Status::error("admin listener: cannot create its event loop");
  }
  s.wake_event.reset(event_new(s.base.get(), s.wake_fd.get(), EV_READ, &Impl::on_wake, &s));
  event_add(s.wake_event.get(), nullptr);
  s.listener.reset(evconnlistener_new(s.base.get(), &Impl::on_accept, &s,
                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd.get()));
  if (!s.listener) {
    return base::Status::error("admin listener: cannot listen on " + s.listen.text);
  }
  fd.release();

  s.thread = std::thread([&s] {
    // The main thread receives the process's signals; this thread should not.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    event_base_dispatch(s.base.get());
  });
  s.started = true;
  bool ipv6 = s.listen.host.find(':') != std::string::npos;
  spdlog::info("admin listener on {}{}{}:{} (/metrics /healthz /config /purge)", ipv6 ? "[" : "",
               s.listen.host, ipv6 ? "]" : "", s.port);
  return base::Status::ok();
}

void AdminServer::stop() {
  Impl& s = *impl_;
  if (!s.started) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(s.wake_fd.get(), &one, sizeof one);
  s.thread.join();
  // The loop is stopped: tear down on this thread, connections before the base they use.
  s.connections.clear();
  s.listener.reset();
  s.wake_event.reset();
  s.base.reset();
  s.started = false;
}

uint16_t AdminServer::port() const { return impl_->port; }

}  // namespace etagd::ops
