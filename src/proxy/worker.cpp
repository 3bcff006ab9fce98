#include "proxy/worker.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>

#include "base/invariant.h"

#include "net/tcp_transport.h"
#include "net/tls_transport.h"
#include "proxy/background_refresh.h"
#include "proxy/client_connection.h"
#include "proxy/exchange.h"
#include "proxy/http2_session.h"

namespace etagd::proxy {

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             base::monotonic_now().time_since_epoch())
      .count();
}

constexpr timeval kHeartbeatInterval{1, 0};

// etagd_client_tls_handshakes_total: the transport tells how a listener's handshake ended.
void count_client_handshake(void* metrics, net::TlsTransport::AcceptedHandshake outcome) {
  using Outcome = net::TlsTransport::AcceptedHandshake;
  using ops::ClientTlsHandshakeResult;
  ClientTlsHandshakeResult result = ClientTlsHandshakeResult::Protocol;
  switch (outcome) {
    case Outcome::Full: result = ClientTlsHandshakeResult::Full; break;
    case Outcome::Resumed: result = ClientTlsHandshakeResult::Resumed; break;
    case Outcome::Protocol: result = ClientTlsHandshakeResult::Protocol; break;
    case Outcome::PlainHttp: result = ClientTlsHandshakeResult::PlainHttp; break;
    case Outcome::Incomplete: result = ClientTlsHandshakeResult::Incomplete; break;
    case Outcome::UnknownCa: result = ClientTlsHandshakeResult::UnknownCa; break;
    case Outcome::Expired: result = ClientTlsHandshakeResult::Expired; break;
    case Outcome::CertificateRejected:
      result = ClientTlsHandshakeResult::CertificateRejected;
      break;
  }
  static_cast<ops::WorkerMetrics*>(metrics)->record_client_tls_handshake(result);
}

}  // namespace

Worker::Worker(unsigned index, SharedState& shared, std::vector<ListenSocket> listen_sockets,
               uint32_t max_connections)
    : index_(index),
      shared_(shared),
      metrics_(shared.metrics().worker(index)),
      base_(event_base_new()),
      clock_(base_.get()),
      mailbox_(base_.get()),
      pool_(std::make_unique<UpstreamPool>(*this)),
      running_(shared.running_config()),
      max_connections_(max_connections),
      graveyard_(base_.get()),
      heartbeat_(base_.get(), &Worker::on_heartbeat, this) {
  for (ListenSocket& s : listen_sockets) {
    uint16_t port = s.port;
    std::string_view scheme = s.scheme;
    bool http2 = s.http2;
    size_t listener = s.listener;
    listeners_.push_back(std::make_unique<net::Listener>(
        base_.get(), std::move(s.fd),
        [this, port, scheme, http2, listener](base::UniqueFd c, const sockaddr* peer) {
          accept(std::move(c), peer, port, scheme, http2, listener);
        }));
  }
  heartbeat_ms_.store(steady_ms(), std::memory_order_relaxed);
}

Worker::~Worker() {
  // Connections reference the event base and the pool: destroy them first.
  refreshes_.clear();
  connections_.clear();
  graveyard_.clear();
  pool_.reset();
  listeners_.clear();
}

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  // Signals are the main thread's business.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  update_accepting();
  on_heartbeat(this);
  event_base_dispatch(base_.get());
  // Whatever is left when the loop ends (shutdown timeout) is closed here, on this thread.
  std::vector<AcceptedConnection*> left;
  for (auto& [ptr, conn] : connections_) left.push_back(ptr);
  for (AcceptedConnection* c : left) c->close();
  refreshes_.clear();
  graveyard_.clear();
  stopped_.store(true, std::memory_order_release);
}

void Worker::on_heartbeat(void* self) {
  auto* w = static_cast<Worker*>(self);
  w->heartbeat_ms_.store(steady_ms(), std::memory_order_relaxed);
  w->heartbeat_.arm(kHeartbeatInterval);
}

const std::shared_ptr<const RunningConfig>& Worker::running() {
  if (running_->generation != shared_.config_generation()) running_ = shared_.running_config();
  return running_;
}

std::string_view Worker::http_date() {
  int64_t sec = clock_.unix_seconds();
  if (sec != date_second_) {
    http::format_http_date(sec, date_);
    date_second_ = sec;
  }
  return std::string_view(date_, sizeof date_);
}

void Worker::accept(base::UniqueFd fd, const sockaddr* peer, uint16_t port,
                    std::string_view scheme, bool http2, size_t listener) {
  if (!shared_.admit_client_connection(max_connections_)) {
    refuse_over_limit(std::move(fd));
    return;
  }
  std::unique_ptr<net::Transport> transport;
  const auto& tls = running()->listener_tls;
  if (listener < tls.size() && tls[listener]) {
    std::unique_ptr<net::TlsTransport> tls_transport =
        net::TlsTransport::accept(base_.get(), std::move(fd), tls[listener]);
    if (!tls_transport) {
      shared_.release_client_connection();
      return;
    }
    // The metrics outlive every worker and so every transport, even one destroyed at exit.
    tls_transport->observe_handshake(&count_client_handshake, &metrics_);
    transport = std::move(tls_transport);
  } else {
    transport = std::make_unique<net::TcpTransport>(base_.get(), std::move(fd));
  }
  auto conn =
      std::make_unique<ClientConnection>(*this, std::move(transport), peer, port, scheme, http2);
  ClientConnection* raw = conn.get();
  connections_.emplace(raw, std::move(conn));
  raw->start();
}

void Worker::serve_http2(std::unique_ptr<net::Transport> transport, const sockaddr* peer,
                         uint16_t port, std::string_view scheme) {
  auto session = std::make_unique<Http2Session>(*this, std::move(transport), peer, port, scheme);
  Http2Session* raw = session.get();
  connections_.emplace(raw, std::move(session));
  raw->start();
}

void Worker::switch_to_http2(ClientConnection* c, std::unique_ptr<net::Transport> transport,
                             const sockaddr* peer, uint16_t port, std::string_view scheme) {
  auto it = connections_.find(c);
  ETAGD_ASSERT(it != connections_.end(), "a connection switching protocol is the worker's");
  // The peer address lives in `c`, which is only buried here: it is destroyed after this
  // callback, once the session has copied what it needs.
  retire(std::move(it->second));
  connections_.erase(it);
  serve_http2(std::move(transport), peer, port, scheme);
}

void Worker::refuse_over_limit(base::UniqueFd fd) {
  // Over the limit a connection is answered at once rather than left in the listen backlog,
  // where its client would wait without a word until it gives up. The answer fits any socket
  // buffer, so one non-blocking send either delivers it or the client is gone already;
  // shutting down our side before the close makes the FIN follow the answer, and reading what
  // the client sent keeps the close from turning into a reset that could destroy the answer.
  static const std::string answer = [] {
    std::string_view body = "503 Service Unavailable: too many client connections\n";
    return "HTTP/1.1 503 Service Unavailable\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n"
           "Retry-After: 1\r\n"
           "Connection: close\r\n\r\n" + std::string(body);
  }();
  ::send(fd.get(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd.get(), SHUT_WR);
  char discard[4096];
  for (int i = 0; i < 4 && ::recv(fd.get(), discard, sizeof discard, MSG_DONTWAIT) > 0; ++i) {
  }
  metrics_.record_connection_refused();
}

void Worker::update_accepting() {
  for (auto& l : listeners_) l->set_accepting(!draining_);
}

void Worker::close_connection(AcceptedConnection* c) {
  auto it = connections_.find(c);
  if (it == connections_.end()) return;
  retire(std::move(it->second));
  connections_.erase(it);
  shared_.release_client_connection();
  if (draining_) maybe_finish_drain();
}

uint64_t Worker::register_waiter(Exchange* e) {
  uint64_t id = next_waiter_id_++;
  waiters_.emplace(id, e);
  return id;
}

void Worker::unregister_waiter(uint64_t id) { waiters_.erase(id); }

void Worker::wake_waiter(uint64_t id, cache::Coalescer::WakeReason reason) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;  // gave up waiting, or its client left
  it->second->on_coalescing_done(reason);
}

void Worker::grant_upstream_slot(uint64_t id, std::shared_ptr<UpstreamServer> server) {
  auto it = waiters_.find(id);
  if (it != waiters_.end()) {
    it->second->on_upstream_slot(std::move(server));
    return;
  }
  // Its client left (or it gave up) after the slot was granted: pass the slot on.
  const RunningConfig& rc = *running();
  wake_granted(shared_.upstream_slots().release(*server, rc.servers,
                                                choice_for(rc.config->upstream)));
}

void Worker::wake_granted(std::vector<UpstreamSlots::Grant> granted) {
  for (UpstreamSlots::Grant& g : granted) {
    Worker* w = g.waiter.worker;
    uint64_t id = g.waiter.id;
    w->post([w, id, server = std::move(g.server)]() mutable {
      w->grant_upstream_slot(id, std::move(server));
    });
  }
}

void Worker::refresh_in_background(const cache::EntryRef& stale,
                                   const http::RequestHead& request,
                                   const ClientIdentity& client, std::string key) {
  if (draining_) return;
  if (!shared_.coalescer().join(key, [](cache::Coalescer::WakeReason) {})) {
    return;  // someone is fetching it already
  }
  std::unique_ptr<BackgroundRefresh> r;
  if (!BackgroundRefresh::make(*this, request, client, r)) {
    shared_.coalescer().finish(key);
    return;
  }
  BackgroundRefresh* raw = r.get();
  refreshes_.emplace(raw, std::move(r));
  raw->start(stale, std::move(key));
}

void Worker::end_background_refresh(BackgroundRefresh* r) {
  auto it = refreshes_.find(r);
  if (it == refreshes_.end()) return;
  retire(std::move(it->second));
  refreshes_.erase(it);
}

void Worker::begin_drain() {
  post([this] { drain_now(); });
}

void Worker::drain_now() {
  draining_ = true;
  for (auto& l : listeners_) l->close();
  pool_->close_idle();
  std::vector<AcceptedConnection*> all;
  for (auto& [ptr, conn] : connections_) all.push_back(ptr);
  for (AcceptedConnection* c : all) c->close_when_idle();
  maybe_finish_drain();
}

void Worker::maybe_finish_drain() {
  if (connections_.empty()) {
    heartbeat_.cancel();
    event_base_loopexit(base_.get(), nullptr);
  }
}

void Worker::stop_now() {
  post([this] { event_base_loopbreak(base_.get()); });
}

}  // namespace etagd::proxy
