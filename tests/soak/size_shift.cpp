#include "size_shift.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/etagd_process.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/prometheus_text.h"
#include "support/socket_stream.h"

namespace etagd::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kLargestBody = 512 * 1024;
constexpr milliseconds kIoTimeout = 30s;

// The origin: GET /shift/<size>/<n> answers 200 with <size> bytes (at most kLargestBody), any
// other target 404. Plain blocking sockets, one thread per connection; it never records what it
// served, so a long run costs it no memory.
class SizedOrigin {
 public:
  SizedOrigin() : body_(kLargestBody, 'x') {
    for (size_t i = 0; i < body_.size(); ++i) body_[i] = static_cast<char>('a' + i % 26);
    listen_fd_ = bind_loopback(AF_INET, 0);
    if (listen_fd_ < 0 || ::listen(listen_fd_, 128) != 0) {
      throw std::runtime_error("size-shift origin: cannot listen on loopback");
    }
    port_ = bound_port(listen_fd_);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~SizedOrigin() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : connections_) t.join();
    ::close(listen_fd_);
  }
  SizedOrigin(const SizedOrigin&) = delete;
  SizedOrigin& operator=(const SizedOrigin&) = delete;

  uint16_t port() const { return port_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      // Head and body are two writes: without this, Nagle holds the body back for the
      // client's delayed ACK (40 ms a response).
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard<std::mutex> lock(mu_);
      connections_.emplace_back([this, fd] { serve(SocketStream(fd)); });
    }
  }

  void serve(SocketStream s) {
    s.set_cancel_flag(&stop_);
    std::string head;
    while (!stop_) {
      if (s.read_until("\r\n\r\n", 16 * 1024, deadline_after(kIoTimeout), head) != IoStatus::ok) {
        return;
      }
      unsigned long size = 0, n = 0;
      bool found = std::sscanf(head.c_str(), "GET /shift/%lu/%lu ", &size, &n) == 2 &&
                   size <= body_.size();
      std::string reply =
          found ? "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                      std::to_string(size) + "\r\n\r\n"
                : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
      if (s.write_all(reply, deadline_after(kIoTimeout)) != IoStatus::ok) return;
      if (found && s.write_all(std::string_view(body_).substr(0, size),
                               deadline_after(kIoTimeout)) != IoStatus::ok) {
        return;
      }
    }
  }

  std::string body_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;
};

// Where the schedule stands: the phase and the body bytes received in it. Clients add what they
// received; the one that crosses the phase's budget moves the schedule on.
struct Schedule {
  const SizeShiftOptions& options;
  uint64_t phase_bytes_target;
  std::atomic<int> phase{0};
  std::atomic<uint64_t> bytes_in_phase{0};
  int total_phases() const { return options.cycles * static_cast<int>(options.phases.size()); }
  bool done() const { return phase.load() >= total_phases(); }
  SizeRange range(int p) const { return options.phases[static_cast<size_t>(p) % options.phases.size()]; }
  void received(int p, uint64_t bytes) {
    if (bytes_in_phase.fetch_add(bytes) + bytes >= phase_bytes_target) {
      int expected = p;
      if (phase.compare_exchange_strong(expected, p + 1)) bytes_in_phase = 0;
    }
  }
};

struct ClientTotals {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> body_bytes{0};
  std::atomic<uint64_t> failures{0};
};

std::optional<uint64_t> content_length(const std::string& head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(lower.c_str() + at + 17, nullptr, 10);
}

void run_client(uint16_t port, unsigned seed, Schedule& schedule, std::atomic<uint64_t>& next_url,
                const std::atomic<bool>& stop, ClientTotals& totals) {
  std::mt19937 rng(seed);
  SocketStream s;
  std::string head, body;
  while (!stop && !schedule.done()) {
    if (!s.is_open()) {
      std::string error;
      int fd = connect_tcp("127.0.0.1", port, deadline_after(5s), &error);
      if (fd < 0) {
        ++totals.failures;
        std::this_thread::sleep_for(50ms);
        continue;
      }
      s = SocketStream(fd);
      s.set_cancel_flag(&stop);
    }
    int p = schedule.phase.load();
    SizeRange r = schedule.range(p);
    uint32_t size = std::uniform_int_distribution<uint32_t>(r.min_bytes, r.max_bytes)(rng);
    std::string request = "GET /shift/" + std::to_string(size) + "/" +
                          std::to_string(next_url.fetch_add(1)) +
                          " HTTP/1.1\r\nHost: size-shift\r\n\r\n";
    body.clear();
    bool ok = s.write_all(request, deadline_after(kIoTimeout)) == IoStatus::ok &&
              s.read_until("\r\n\r\n", 64 * 1024, deadline_after(kIoTimeout), head) == IoStatus::ok;
    std::optional<uint64_t> length = ok ? content_length(head) : std::nullopt;
    ok = ok && head.rfind("HTTP/1.1 200", 0) == 0 && length && *length == size &&
         s.read_exact(size, deadline_after(kIoTimeout), body) == IoStatus::ok;
    ++totals.requests;
    if (!ok) {
      ++totals.failures;
      s.close();
      continue;
    }
    totals.body_bytes += size;
    schedule.received(p, size);
  }
}

std::string etagd_config(uint16_t port, uint16_t admin_port, uint16_t origin_port,
                         const SizeShiftOptions& o) {
  return "listen: [\"127.0.0.1:" + std::to_string(port) + "\"]\n" +
         "upstream: { url: \"http://127.0.0.1:" + std::to_string(origin_port) +
         "\", max_idle: 64 }\n" + "workers: " + std::to_string(o.workers) + "\n" +
         "admin: { listen: \"127.0.0.1:" + std::to_string(admin_port) + "\" }\n" +
         "cache: { max_memory: " + std::to_string(o.max_memory_mib) + "MiB }\n" +
         "log: { level: warn }\n"
         "rules:\n"
         "  - name: shift\n"
         "    match: { prefix: /shift/ }\n"
         "    cache: store\n"
         "    ttl: 1h\n";
}

// VmRSS of a process in KiB, -1 if unreadable.
long resident_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int64_t metric(const std::string& text, std::string_view name) {
  std::optional<double> v = sample_value(text, name);
  return v ? static_cast<int64_t>(*v) : -1;
}

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

uint64_t SizeShiftResult::peak_rss_bytes() const {
  uint64_t peak = 0;
  for (const auto& s : samples) peak = std::max(peak, s.rss_bytes);
  return peak;
}

uint64_t SizeShiftResult::rss_percentile(double p) const {
  if (samples.empty()) return 0;
  std::vector<uint64_t> v;
  v.reserve(samples.size());
  for (const auto& s : samples) v.push_back(s.rss_bytes);
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

size_t SizeShiftResult::samples_above(uint64_t margin_bytes) const {
  return static_cast<size_t>(std::count_if(samples.begin(), samples.end(), [&](const auto& s) {
    return s.rss_bytes > max_memory_bytes() + margin_bytes;
  }));
}

std::string SizeShiftResult::describe() const {
  const auto& o = options;
  std::ostringstream out;
  out << "max_memory " << o.max_memory_mib << " MiB, " << o.workers << " workers, "
      << o.connections << " connections, phases";
  for (const auto& r : o.phases) out << " " << r.min_bytes << "-" << r.max_bytes;
  out << " B, " << o.phase_budgets << "x max_memory per phase, " << o.cycles << " cycles\n";
  out << "ran " << seconds << " s: " << requests << " requests, " << mib(body_bytes)
      << " MiB of bodies, " << failures << " failures, " << phases_done << " of "
      << o.cycles * static_cast<int>(o.phases.size()) << " phases; etagd " << etagd_exit << "\n";
  out << "RSS at start " << mib(start_rss_bytes) << " MiB; " << samples.size() << " samples every "
      << o.sample_every.count() << " ms\n";
  out << "RSS MiB: peak " << mib(peak_rss_bytes()) << ", p50 " << mib(rss_percentile(50))
      << ", p90 " << mib(rss_percentile(90)) << ", p99 " << mib(rss_percentile(99)) << "\n";
  out << "samples above max_memory + 16 MiB: " << samples_above(16ull << 20)
      << ", + 32 MiB: " << samples_above(32ull << 20) << " of " << samples.size() << "\n";
  // Per phase: the worst sample, and what the metrics said at that moment.
  std::map<int, const SizeShiftSample*> worst;
  for (const auto& s : samples) {
    auto& w = worst[s.phase];
    if (!w || s.rss_bytes > w->rss_bytes) w = &s;
  }
  out << "phase  bodies B          peak RSS MiB  cache MiB  heap MiB  free MiB  (at the peak)\n";
  for (const auto& [phase, s] : worst) {
    SizeRange r = o.phases[static_cast<size_t>(phase) % o.phases.size()];
    auto opt = [](int64_t v) { return v < 0 ? std::string("-") : mib(static_cast<uint64_t>(v)); };
    char line[160];
    std::snprintf(line, sizeof line, "%5d  %7u-%-7u  %12s  %9s  %8s  %8s\n", phase, r.min_bytes,
                  r.max_bytes, mib(s->rss_bytes).c_str(), opt(s->cache_bytes).c_str(),
                  opt(s->heap_bytes).c_str(), opt(s->heap_free_bytes).c_str());
    out << line;
  }
  return out.str();
}

SizeShiftResult run_size_shift(const SizeShiftOptions& options) {
  SizeShiftResult result;
  result.options = options;
  SizedOrigin origin;
  const uint16_t port = free_port();
  const uint16_t admin_port = free_port();
  EtagdProcess::Options process_options;
  process_options.binary = options.etagd_binary;
  process_options.env = options.env;
  EtagdProcess etagd(etagd_config(port, admin_port, origin.port(), options), port,
                     process_options);
  etagd.wait_ready();
  etagd.wait_listening(admin_port);
  const pid_t pid = etagd.pid();
  result.start_rss_bytes = static_cast<uint64_t>(std::max(0L, resident_kib(pid))) * 1024;

  Schedule schedule{options,
                    static_cast<uint64_t>(options.phase_budgets *
                                          static_cast<double>(result.max_memory_bytes()))};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next_url{0};
  ClientTotals totals;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options.time_limit;
  std::vector<std::thread> clients;
  for (int i = 0; i < options.connections; ++i) {
    clients.emplace_back([&, i] {
      run_client(port, options.seed * 1000 + static_cast<unsigned>(i), schedule, next_url, stop,
                 totals);
    });
  }
  // The sampler runs here, on the thread that started etagd; every wait is bounded.
  auto next_sample = start;
  while (!schedule.done() && std::chrono::steady_clock::now() < deadline) {
    next_sample += options.sample_every;
    std::this_thread::sleep_until(next_sample);
    SizeShiftSample s;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    s.phase = std::min(schedule.phase.load(), schedule.total_phases() - 1);
    long kib = resident_kib(pid);
    if (kib <= 0) break;  // etagd is gone
    s.rss_bytes = static_cast<uint64_t>(kib) * 1024;
    try {
      HttpResponse r = http_get(admin_port, "/metrics", {}, 2000ms);
      s.cache_bytes = metric(r.body, "etagd_cache_bytes");
      s.heap_bytes = metric(r.body, "etagd_heap_bytes");
      s.heap_free_bytes = metric(r.body, "etagd_heap_free_bytes");
    } catch (const HttpError&) {
    }
    result.samples.push_back(s);
  }
  stop = true;
  for (auto& t : clients) t.join();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.requests = totals.requests;
  result.body_bytes = totals.body_bytes;
  result.failures = totals.failures;
  result.phases_done = std::min(schedule.phase.load(), schedule.total_phases());
  ProcessExit exit = etagd.stop(10000ms);
  result.etagd_exit = exit.describe();
  result.clean_exit = exit.success();
  if (!result.clean_exit) {
    std::string log = etagd.log();
    result.etagd_log_tail = log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  }
  return result;
}

}  // namespace etagd::testing
