// A worker: one thread, one event_base, its own listening sockets (SO_REUSEPORT), client
// connections and upstream pool. Workers share only SharedState (cache, coalescer, config);
// anything another thread wants done on a worker goes through its Mailbox.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/event_handles.h"
#include "base/graveyard.h"
#include "base/mailbox.h"
#include "base/timer.h"
#include "base/unique_fd.h"
#include "cache/cache_entry.h"
#include "http/http_date.h"
#include "http/message_head.h"
#include "net/listener.h"
#include "net/transport.h"
#include "proxy/accepted_connection.h"
#include "proxy/client_identity.h"
#include "proxy/listen_socket.h"
#include "proxy/shared_state.h"
#include "proxy/upstream_pool.h"

namespace etagd::proxy {

class BackgroundRefresh;
class ClientConnection;
class Exchange;

class Worker {
 public:
  Worker(unsigned index, SharedState& shared, std::vector<ListenSocket> listen_sockets,
         uint32_t max_connections);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // --- any thread ---
  void start();
  void join();
  void post(base::Mailbox::Task task) { mailbox_.post(std::move(task)); }
  // Stop accepting, close idle connections, let the others finish; the thread ends when the
  // last connection is gone.
  void begin_drain();
  // Ends the loop now (shutdown timeout reached).
  void stop_now();
  // Milliseconds (steady clock) of the last heartbeat: the watchdog only pets systemd while
  // every worker's heartbeat is recent.
  int64_t last_heartbeat_ms() const { return heartbeat_ms_.load(std::memory_order_relaxed); }
  unsigned index() const { return index_; }
  // The worker's loop has ended (drained or stopped).
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }

  // --- the worker's own thread ---
  event_base* base() const { return base_.get(); }
  SharedState& shared() { return shared_; }
  ops::WorkerMetrics& metrics() { return metrics_; }
  // The config new requests use; refreshed when a reload published a new one.
  const std::shared_ptr<const RunningConfig>& running();
  UpstreamPool& upstream_pool() { return *pool_; }

  // Wall-clock time as the loop caches it, and the matching Date field value.
  const base::LoopClock& clock() const { return clock_; }
  std::string_view http_date();

  // Destroys `p` after the current callback returns (objects are never deleted while their
  // own code may still be on the stack).
  template <typename T>
  void retire(std::unique_ptr<T> p) {
    graveyard_.bury(std::move(p));
  }
  void close_connection(AcceptedConnection* c);

  // Serves HTTP/2 on an accepted, admitted connection: a plain one that opened with the
  // HTTP/2 preface, or a TLS one whose ALPN chose "h2". `port` and `scheme`: of its listener.
  void serve_http2(std::unique_ptr<net::Transport> transport, const sockaddr* peer,
                   uint16_t port, std::string_view scheme);
  // `c` read the HTTP/2 preface: it goes, its transport (and admission) stay, for HTTP/2.
  void switch_to_http2(ClientConnection* c, std::unique_ptr<net::Transport> transport,
                       const sockaddr* peer, uint16_t port, std::string_view scheme);

  // Exchanges waiting on another request's upstream fetch (request coalescing).
  uint64_t register_waiter(Exchange* e);
  void unregister_waiter(uint64_t id);
  void wake_waiter(uint64_t id, cache::Coalescer::WakeReason reason);
  // A slot of upstream.max_connections granted to waiter `id` (upstream_slots.h); given back
  // at once when that exchange has gone meanwhile.
  void grant_upstream_slot(uint64_t id, std::shared_ptr<UpstreamServer> server);
  // Wakes each of `granted` on its own worker.
  static void wake_granted(std::vector<UpstreamSlots::Grant> granted);

  bool draining() const { return draining_; }

  // Starts one background request that refreshes `stale` (stale-while-revalidate), unless a
  // request for the same coalescing key is already under way. The request head is copied:
  // the client's connection moves on to its next request.
  void refresh_in_background(const cache::EntryRef& stale, const http::RequestHead& request,
                             const ClientIdentity& client, std::string key);
  void end_background_refresh(BackgroundRefresh* r);

 private:
  void run();
  // `listener`: the accepting socket's entry in config.listen (a TLS listener's contexts).
  void accept(base::UniqueFd fd, const sockaddr* peer, uint16_t port, std::string_view scheme,
              bool http2, size_t listener);
  void refuse_over_limit(base::UniqueFd fd);
  void update_accepting();
  void drain_now();
  void maybe_finish_drain();
  static void on_heartbeat(void* self);

  unsigned index_;
  SharedState& shared_;
  ops::WorkerMetrics& metrics_;
  base::EventBasePtr base_;
  base::LoopClock clock_;
  base::Mailbox mailbox_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::unique_ptr<UpstreamPool> pool_;
  std::shared_ptr<const RunningConfig> running_;
  std::unordered_map<AcceptedConnection*, std::unique_ptr<AcceptedConnection>> connections_;
  uint32_t max_connections_;  // limits.max_connections, for the whole process
  base::Graveyard graveyard_;
  base::Timer heartbeat_;
  std::atomic<int64_t> heartbeat_ms_{0};
  std::atomic<bool> stopped_{false};
  std::unordered_map<uint64_t, Exchange*> waiters_;
  std::unordered_map<BackgroundRefresh*, std::unique_ptr<BackgroundRefresh>> refreshes_;
  uint64_t next_waiter_id_ = 1;
  bool draining_ = false;
  int64_t date_second_ = -1;
  char date_[http::kHttpDateLength] = {};
  std::thread thread_;
};

}  // namespace etagd::proxy
