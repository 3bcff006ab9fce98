// The proxy as a whole: SharedState plus the workers. The main thread owns the Server and
// drives its lifecycle: start, reload, drain, stop.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "net/tls_ticket_keys.h"
#include "proxy/health_probes.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"

namespace etagd::proxy {

class Server {
 public:
  explicit Server(std::shared_ptr<const config::Config> config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Resolves the upstream, opens the access log and every listening socket (one per worker
  // and address) and starts the workers. A failure names what failed.
  base::Status start();

  // Publishes a new config to every worker; requests in flight keep the one they started with.
  // Fails (and changes nothing) if the upstream cannot be resolved or a new access log cannot
  // be opened.
  base::Status reload(std::shared_ptr<const config::Config> config);

  // Every worker's loop ran within `max_silence_ms` (the watchdog's liveness test).
  bool all_workers_alive(int64_t max_silence_ms) const;

  void begin_drain();
  bool all_workers_stopped() const;
  void stop_now();
  void join();

  SharedState& shared() { return *shared_; }
  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }
  std::shared_ptr<const config::Config> config() const { return shared_->running_config()->config; }

 private:
  std::unique_ptr<SharedState> shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<HealthProbes> probes_;  // after shared_: stops before it goes
  uint64_t generation_ = 1;
  unsigned worker_count_;
  // Session ticket keys for every TLS listener, all workers and every reload: a client
  // resumes wherever its next connection lands (tls_ticket_keys.h). Outlives the contexts.
  std::unique_ptr<net::TlsTicketKeys> ticket_keys_;
};

// Number of workers for `configured` (0 = one per CPU).
unsigned effective_worker_count(uint32_t configured);

}  // namespace etagd::proxy
