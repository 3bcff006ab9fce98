// etagd: a caching reverse proxy that gives a legacy HTTP API content ETags, local 304s and
// sane Cache-Control. This file is the command line and the process lifecycle: load the
// config, start the workers, then turn signals into reload / reopen / drain.
#include <event2/event.h>
#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "cache/entry_memory.h"
#include "cache/heap_bytes.h"
#include "config/config_loader.h"
#include "config/host_resolution.h"
#include "fleet/fleet_channel.h"
#include "ops/access_log.h"
#include "ops/admin_server.h"
#include "ops/heap_trim.h"
#include "ops/logging.h"
#include "ops/systemd_notify.h"
#include "base/event_handles.h"
#include "proxy/server.h"
#include "proxy/server_health.h"
#include "proxy/stored_url_key.h"
#include "build_commit.h"
#include "version.h"

namespace {

constexpr const char* kDefaultConfig = "/etc/etagd/etagd.yaml";

// GNU conventions: --help and --version print to stdout and exit 0; a usage error prints one
// line naming the problem and --help to stderr and exits 2 (as getopt-based tools do).
void print_help() {
  std::printf(
      "Usage: etagd [OPTION]...\n"
      "Caching reverse proxy: content ETags, local 304s and Cache-Control rules in front of\n"
      "an HTTP/1.1 API.\n"
      "\n"
      "  -c, --config=FILE    configuration file (default %s)\n"
      "  -t, --check-config   check the configuration, print every problem, and exit\n"
      "  -V, --version        print the version, commit, build type and library versions,\n"
      "                       and exit (-v is accepted too)\n"
      "  -h, --help           print this help and exit\n"
      "\n"
      "Signals: HUP reloads the configuration, USR1 reopens log files,\n"
      "TERM and INT drain connections and exit.\n"
      "\n"
      "Exit status: 0 on success (a clean drain, a valid --check-config), 1 when the\n"
      "configuration is invalid or etagd cannot start, 2 on a command-line error.\n"
      "\n"
      "See etagd(8) and etagd.yaml(5).\n",
      kDefaultConfig);
}

void print_version() {
  std::printf("etagd %s\ncommit %s, %s build\n%s\n", ETAGD_VERSION, ETAGD_COMMIT,
              ETAGD_BUILD_TYPE, ETAGD_LIBRARY_VERSIONS);
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "etagd: %s\nTry 'etagd --help' for more information.\n",
               message.c_str());
  return 2;
}

struct Options {
  std::string config_path = kDefaultConfig;
  bool check_only = false;
};

// Returns -1 to continue, or an exit status.
int parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-c" || arg == "--config") {
      if (i + 1 >= argc) return usage_error("option '" + arg + "' requires a file name");
      o.config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      o.config_path = arg.substr(9);
    } else if (arg == "-t" || arg == "--check-config") {
      o.check_only = true;
    } else if (arg == "-V" || arg == "-v" || arg == "--version") {
      print_version();
      return 0;
    } else if (arg == "-h" || arg == "--help") {
      print_help();
      return 0;
    } else if (arg.empty() || arg[0] != '-') {
      return usage_error("unexpected argument '" + arg + "'");
    } else {
      return usage_error("unrecognized option '" + arg + "'");
    }
  }
  return -1;
}

etagd::config::LoadResult load_and_report(const std::string& path) {
  etagd::config::LoadResult r = etagd::config::load_config_file(path);
  for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
  return r;
}

// The main thread's loop: signals and the drain deadline.
struct Lifecycle {
  etagd::proxy::Server* server = nullptr;
  std::string config_path;
  event_base* base = nullptr;
  bool draining = false;
  etagd::base::EventPtr drain_poll;
  etagd::base::EventPtr drain_deadline;
};

void on_drain_poll(evutil_socket_t, short, void* arg) {
  auto* lc = static_cast<Lifecycle*>(arg);
  if (lc->server->all_workers_stopped()) event_base_loopexit(lc->base, nullptr);
}

void on_drain_deadline(evutil_socket_t, short, void* arg) {
  auto* lc = static_cast<Lifecycle*>(arg);
  spdlog::warn("shutdown timeout reached; closing remaining connections");
  lc->server->stop_now();
  event_base_loopexit(lc->base, nullptr);
}

void on_terminate(evutil_socket_t sig, short, void* arg) {
  auto* lc = static_cast<Lifecycle*>(arg);
  if (lc->draining) return;
  lc->draining = true;
  etagd::ops::notify_stopping();
  spdlog::info("received {}, draining", sig == SIGINT ? "SIGINT" : "SIGTERM");
  lc->server->begin_drain();
  auto timeout = lc->server->config()->timeouts.shutdown;
  timeval deadline{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  lc->drain_deadline.reset(evtimer_new(lc->base, on_drain_deadline, lc));
  evtimer_add(lc->drain_deadline.get(), &deadline);
  timeval poll{0, 20 * 1000};
  lc->drain_poll.reset(event_new(lc->base, -1, EV_PERSIST, on_drain_poll, lc));
  event_add(lc->drain_poll.get(), &poll);
}

void on_reopen_logs(evutil_socket_t, short, void*) {
  etagd::ops::reopen_logs();
  spdlog::info("received SIGUSR1, log files reopened");
}

bool reload(Lifecycle* lc);

void on_reload(evutil_socket_t, short, void* arg) {
  auto* lc = static_cast<Lifecycle*>(arg);
  etagd::ops::notify_reloading();
  bool ok = reload(lc);
  lc->server->shared().metrics().record_reload(ok);
  etagd::ops::notify_ready(ok ? "configuration reloaded" : "reload rejected; previous configuration kept");
}

bool reload(Lifecycle* lc) {
  spdlog::info("received SIGHUP, reloading {}", lc->config_path);
  etagd::config::LoadResult r = etagd::config::load_config_file(lc->config_path);
  for (const auto& d : r.diagnostics) {
    if (d.severity == etagd::config::Diagnostic::Severity::Error) {
      spdlog::error("{}", d.to_string());
    } else {
      spdlog::warn("{}", d.to_string());
    }
  }
  if (!r.ok()) {
    spdlog::error("reload rejected; keeping the running configuration");
    return false;
  }
  std::shared_ptr<const etagd::config::Config> running = lc->server->config();
  // What runs: the file, but with the settings that wait for a restart as they run.
  etagd::config::keep_running_settings(*running, *r.config);
  for (const etagd::config::PendingRestart& p : r.config->pending_restart) {
    spdlog::warn("{}: changed (restart etagd to apply)", p.key);
  }
  if (etagd::base::Status s = lc->server->reload(r.config); !s) {
    spdlog::error("reload rejected: {}; keeping the running configuration", s.message());
    return false;
  }
  if (r.config->log.error_log != running->log.error_log) {
    if (etagd::base::Status s = etagd::ops::configure_error_log(r.config->log); !s) {
      spdlog::error("error_log: {}; keeping the previous error log", s.message());
    }
  }
  etagd::ops::set_log_level(r.config->log.level);
  spdlog::info("configuration reloaded");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts;
  int rc = parse_args(argc, argv, opts);
  if (rc >= 0) return rc;

  etagd::config::LoadResult loaded = load_and_report(opts.config_path);
  if (opts.check_only) {
    // Only the check looks names up: a start or reload resolves what it needs itself.
    if (loaded.ok()) {
      for (const auto& d : etagd::config::unresolved_host_warnings(*loaded.config)) {
        std::fprintf(stderr, "%s\n", d.to_string().c_str());
      }
    }
    std::fprintf(stderr, "etagd: configuration file %s test %s\n", opts.config_path.c_str(),
                 loaded.ok() ? "is successful" : "failed");
    return loaded.ok() ? 0 : 1;
  }
  if (!loaded.ok()) {
    std::fprintf(stderr, "etagd: configuration file %s has errors; not starting\n",
                 opts.config_path.c_str());
    return 1;
  }

  // One malloc arena for the process. With one arena per thread (glibc's default), cache
  // entries freed on one worker leave holes in another's arena and RSS drifts far above
  // cache.max_memory: filling a 256 MiB cache with 2 GiB from 4 threads ended at 372 MiB RSS,
  // and at 267 MiB with one arena (bench/cache_overhead). Small allocations on the hot path
  // still come from each thread's lock-free tcache.
  mallopt(M_ARENA_MAX, 1);
  // Per-request buffers (libevent allocates a 64 KiB upstream read as a 128 KiB chain) must
  // neither be mmapped nor make glibc give the heap top back after each response: with
  // glibc's moving defaults a worker forwarding 64 KiB bodies fell, run by run, into a mode
  // where every response cost 1.5 brk calls and 13 page faults, and twice the CPU
  // (bench/README.md, "forwarding cost"). Only allocations of 1 MiB and more are mmapped by
  // malloc; cache entries of 64 KiB and more get mappings of their own (cache/entry_memory.h);
  // free heap goes back to the kernel through the HeapTrimmer below.
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(etagd::cache::kMmapThreshold));
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  etagd::cache::set_mapped_entry_threshold(loaded.config->cache.max_memory);

  if (etagd::base::Status s = etagd::ops::configure_error_log(loaded.config->log); !s) {
    std::fprintf(stderr, "etagd: error_log: %s\n", s.message().c_str());
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  // Workers block every signal; the main thread's loop receives them.
  etagd::base::EventBasePtr base(event_base_new());
  Lifecycle lc;
  lc.config_path = opts.config_path;
  lc.base = base.get();

  etagd::proxy::Server server(loaded.config);
  lc.server = &server;
  // Fleet mode: the channel runs on its own thread and connects in the background, so a Redis
  // that is down delays nothing; it is attached before the workers start so they all see it.
  if (loaded.config->fleet.enabled) {
    auto fleet = std::make_unique<etagd::fleet::FleetChannel>(loaded.config->fleet,
                                                              server.shared().cache());
    if (etagd::base::Status s = fleet->start(); !s) {
      spdlog::critical("fleet: {}", s.message());
      etagd::ops::flush_logs();
      return 1;
    }
    server.shared().attach_fleet(std::move(fleet));
  }
  etagd::base::EventPtr sigterm(evsignal_new(base.get(), SIGTERM, on_terminate, &lc));
  etagd::base::EventPtr sigint(evsignal_new(base.get(), SIGINT, on_terminate, &lc));
  etagd::base::EventPtr sighup(evsignal_new(base.get(), SIGHUP, on_reload, &lc));
  etagd::base::EventPtr sigusr1(evsignal_new(base.get(), SIGUSR1, on_reopen_logs, &lc));
  for (event* ev : {sigterm.get(), sigint.get(), sighup.get(), sigusr1.get()}) {
    event_add(ev, nullptr);
  }

  if (etagd::base::Status s = server.start(); !s) {
    spdlog::critical("{}", s.message());
    etagd::ops::flush_logs();
    return 1;
  }

  std::unique_ptr<etagd::ops::AdminServer> admin;
  if (loaded.config->admin.enabled) {
    etagd::ops::AdminDeps deps{
        server.shared().cache(),
        server.shared().metrics(),
        [&server] {
          etagd::ops::ProcessGauges g;
          g.draining = server.shared().draining();
          g.workers = static_cast<unsigned>(server.workers().size());
          g.client_connections = server.shared().client_connections();
          g.version = ETAGD_VERSION;
          g.commit = ETAGD_COMMIT;
          if (etagd::fleet::FleetChannel* fleet = server.shared().fleet()) {
            etagd::fleet::FleetStatus s = fleet->status();
            g.fleet_enabled = true;
            g.fleet_connected = s.connected;
            g.fleet_messages_sent = s.sent;
            g.fleet_messages_applied = s.applied;
            g.fleet_messages_dropped = s.dropped;
            g.fleet_gaps = s.gaps;
          }
          std::shared_ptr<const etagd::proxy::RunningConfig> running = server.shared().running_config();
          int64_t now_ms = etagd::proxy::health_clock_ms();
          std::vector<const etagd::proxy::UpstreamServer*> shown;
          for (const etagd::proxy::RunningServer& rs : running->servers) shown.push_back(rs.server.get());
          // A removed server is shown while its last requests run, then no more.
          for (const auto& d : running->draining) {
            if (d->in_flight.load(std::memory_order_relaxed) > 0) shown.push_back(d.get());
          }
          for (const etagd::proxy::UpstreamServer* shown_server : shown) {
            const etagd::proxy::UpstreamServer& u = *shown_server;
            etagd::ops::UpstreamServerGauges sg;
            sg.url = u.url;
            sg.up = u.probe_up.load(std::memory_order_relaxed);
            sg.ejected = now_ms < u.ejected_until_ms.load(std::memory_order_relaxed);
            sg.draining = u.removed.load(std::memory_order_relaxed);
            sg.in_flight = u.in_flight.load(std::memory_order_relaxed);
            sg.probes_passed = u.probes_passed.load(std::memory_order_relaxed);
            sg.probes_failed = u.probes_failed.load(std::memory_order_relaxed);
            sg.ejections = u.ejections.load(std::memory_order_relaxed);
            sg.retries = u.retries.load(std::memory_order_relaxed);
            sg.queue_wait = u.queue_wait.read();
            if (int64_t at = u.failed_at_ms.load(std::memory_order_relaxed); at != 0) {
              sg.failed_ms_ago = std::max<int64_t>(0, now_ms - at);
              sg.failure = static_cast<etagd::ops::UpstreamError>(u.failure.load(std::memory_order_relaxed));
            }
            g.upstream_servers.push_back(std::move(sg));
          }
          g.upstream_queue_waiting = server.shared().upstream_slots().waiting();
          const etagd::config::UpstreamConfig& upstream = running->config->upstream;
          g.upstream_checked = upstream.health_check.enabled || upstream.passive.enabled;
          return g;
        },
        [&server] { return server.config(); },
        // An admin purge reaches the other instances too.
        [&server](std::string_view kind, std::string_view value) {
          etagd::fleet::FleetChannel* fleet = server.shared().fleet();
          if (fleet == nullptr) return;
          if (kind == "url") {
            fleet->publish_url(value);
          } else if (kind == "target") {
            fleet->publish_target(value);
          } else {
            fleet->publish_prefix(value);
          }
        },
        // A purge names a URL as clients send it; the rule's cache_key says how it is stored.
        [&server](std::string_view host, std::string_view target, etagd::cache::Scheme scheme) {
          return etagd::proxy::stored_url_key(server.config()->rules, host, target, scheme);
        }};
    admin = std::make_unique<etagd::ops::AdminServer>(std::move(deps), loaded.config->admin.listen);
    if (etagd::base::Status s = admin->start(); !s) {
      spdlog::critical("admin.listen: {}", s.message());
      server.stop_now();
      etagd::ops::flush_logs();
      return 1;
    }
  }

  // A worker that has not run its heartbeat (1 s) for 3 s is stuck: stop petting systemd.
  etagd::ops::Watchdog watchdog(base.get(), etagd::ops::watchdog_interval(),
                                [&server] { return server.all_workers_alive(3000); });
  watchdog.start();
  // Cache bytes plus this much is what the process may hold before free heap is trimmed: code,
  // libraries and the log queue take ~13 MiB of it from the start, connections and buffers in
  // flight a few more.
  constexpr uint64_t kHeapSlack = 16ull * 1024 * 1024;
  etagd::ops::HeapTrimmer heap_trimmer(
      base.get(), [&server] { return server.shared().cache().stats().bytes; }, kHeapSlack);
  // And after every 2 MiB of cache entries freed from the heap (evicted, replaced, purged), so
  // that a 64 MiB cache whose body sizes shift stays within 32 MiB of its bound in RSS
  // (bench/README.md, "Memory: memory_shift").
  heap_trimmer.trim_after_freed([] { return etagd::cache::heap_entry_bytes_freed(); },
                                2ull * 1024 * 1024);
  spdlog::info("etagd {} started: {} worker(s), upstream {}", ETAGD_VERSION,
               server.workers().size(), loaded.config->upstream.url);
  etagd::ops::notify_ready("serving");

  event_base_dispatch(base.get());
  watchdog.stop();
  server.join();
  if (admin) admin->stop();
  spdlog::info("etagd stopped");
  etagd::ops::flush_logs();
  return 0;
}
