#include "proxy/worker.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>

#include "proxy/client_connection.h"
#include "proxy/exchange.h"

namespace etagd::proxy {

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr timeval kHeartbeatInterval{1, 0};

}  // namespace

Worker::Worker(unsigned index, SharedState& shared, std::vector<UniqueFd> listen_fds,
               uint32_t max_connections)
    : index_(index),
      shared_(shared),
      metrics_(shared.metrics().worker(index)),
      base_(event_base_new()),
      mailbox_(base_.get()),
      pool_(std::make_unique<UpstreamPool>(*this)),
      running_(shared.running_config()),
      max_connections_(max_connections),
      reaper_(event_new(base_.get(), -1, 0, &Worker::on_reap, this)),
      heartbeat_(base_.get(), &Worker::on_heartbeat, this) {
  for (UniqueFd& fd : listen_fds) {
    listeners_.push_back(std::make_unique<Listener>(
        base_.get(), std::move(fd),
        [this](UniqueFd c, const sockaddr* peer) { accept(std::move(c), peer); }));
  }
  heartbeat_ms_.store(steady_ms(), std::memory_order_relaxed);
}

// A request copied out of its connection, with the Exchange refreshing the cache for it.
struct Worker::BackgroundRefresh {
  std::string head_bytes;
  std::string client_address;
  http::RequestHead request;
  std::unique_ptr<Exchange> exchange;
};

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
  std::vector<ClientConnection*> left;
  for (auto& [ptr, conn] : connections_) left.push_back(ptr);
  for (ClientConnection* c : left) c->close();
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

int64_t Worker::now() const {
  timeval tv;
  event_base_gettimeofday_cached(base_.get(), &tv);
  return tv.tv_sec;
}

int64_t Worker::now_ms() const { return steady_ms(); }

int64_t Worker::monotonic_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string_view Worker::http_date() {
  int64_t sec = now();
  if (sec != date_second_) {
    http::format_http_date(sec, date_);
    date_second_ = sec;
  }
  return std::string_view(date_, sizeof date_);
}

void Worker::accept(UniqueFd fd, const sockaddr* peer) {
  if (!shared_.admit_client_connection(max_connections_)) {
    refuse_over_limit(std::move(fd));
    return;
  }
  auto conn = std::make_unique<ClientConnection>(*this, std::move(fd), peer);
  ClientConnection* raw = conn.get();
  connections_.emplace(raw, std::move(conn));
  raw->start();
}

void Worker::refuse_over_limit(UniqueFd fd) {
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

void Worker::close_connection(ClientConnection* c) {
  auto it = connections_.find(c);
  if (it == connections_.end()) return;
  retire(std::move(it->second));
  connections_.erase(it);
  shared_.release_client_connection();
  if (draining_) maybe_finish_drain();
}

void Worker::on_reap(evutil_socket_t, short, void* self) {
  auto* w = static_cast<Worker*>(self);
  // Destroying one object may retire others (a connection retires its exchange): loop.
  while (!w->graveyard_.empty()) {
    std::vector<std::shared_ptr<void>> dead;
    dead.swap(w->graveyard_);
    dead.clear();
  }
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

void Worker::refresh_in_background(const cache::EntryRef& stale,
                                   const http::RequestHead& request,
                                   std::string_view client_address, std::string key) {
  if (draining_) return;
  if (!shared_.coalescer().join(key, [](cache::Coalescer::WakeReason) {})) {
    return;  // someone is fetching it already
  }
  auto r = std::make_unique<BackgroundRefresh>();
  // Rebuild a RequestHead over our own copy of the request line and fields.
  r->head_bytes.append(request.method_token).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  for (const http::HeaderField& f : request.headers) {
    r->head_bytes.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  r->head_bytes.append("\r\n");
  r->client_address = client_address;
  http::HeadScan scan;
  scan.status = http::HeadScan::Status::Complete;
  scan.length = r->head_bytes.size();
  if (!http::parse_request_head(r->head_bytes, scan, r->request).empty()) {
    shared_.coalescer().finish(key);
    return;
  }
  r->exchange = std::make_unique<Exchange>(*this, nullptr, r->client_address, r->request, nullptr);
  Exchange* e = r->exchange.get();
  refreshes_.emplace(e, std::move(r));
  e->start_refresh(stale, std::move(key));
}

void Worker::end_background_refresh(Exchange* e) {
  auto it = refreshes_.find(e);
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
  std::vector<ClientConnection*> all;
  for (auto& [ptr, conn] : connections_) all.push_back(ptr);
  for (ClientConnection* c : all) c->close_when_idle();
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
